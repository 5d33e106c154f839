-- id: impossible_travel
-- title: Impossible travel between consecutive logins
-- severity: high
-- rationale: Two successful logins of one user from places farther apart than anyone can
--   travel in the time between them mean two people hold the credentials, or one of them
--   hides behind a relay.
-- remediation: End the sessions of the suspect logins, reset the user's password and ask the
--   user which login was theirs; add known VPN egress ranges to trusted_networks.
-- knobs: impossible_travel.min_distance_km, impossible_travel.max_speed_kmh, impossible_travel.follow_for, trusted_networks
-- removes: the families the later login created, and, when it was the user's first login from
--   its IP (or the first came after the earlier login, without a place), those of the user's
--   other logins from that IP from the first to follow_for after the jump (none with
--   follow_for 0); those of the
--   earlier login when it is the odd one out (the user's login before it was near the later
--   one: home, away, home)

-- Trusted and place-less logins drop out before pairing, so a VPN login in
-- between cannot hide a jump; each login is then compared with the one before
-- it (LAG), which stays linear in the number of logins. The later login of a
-- jump is the suspect; so is the earlier when it is the odd one out (the
-- user at home, someone far away, the user at home again) and the way to it
-- was no jump of its own: an intruder who logs in first must not be left
-- out, with only the real user's session to end. The window carries
-- only what the comparison needs; names and places are looked up for the
-- jumps found.
--
-- Whoever made the jump's later login seldom logs in only once: when it was
-- the user's first successful untrusted login from its IP, the user's next
-- logins from that IP within follow_for after it, located or not, are
-- reached with it, so that the removal list ends their sessions too; the
-- detail counts them. So are the logins from the IP before the jump when
-- the first of them came after the login the jump was from (in the order
-- of time, then Id, as the window orders logins): they had no place (a
-- located one would itself have been the jump), and the IP was new all the
-- same. With follow_for 0 no login goes with a jump. Not from an IP the user logged in from before (home,
-- or a forgotten VPN's egress: each switch to it is a jump, and the logins
-- after it are the user's own), nor when the earlier login is the odd one
-- out: the later login is then the user back home. A user and IP have at
-- most one first login, so each login joins at most one jump: linear, with
-- no sort (numbering runs of one IP by windows doubled the check's time and
-- ran out of memory with 50M logins and an untrusted VPN).
--
-- Most users log in from one place or a few nearby ones, and only users whose
-- logins lie min_distance_km apart somewhere can jump, so the window sorts
-- only theirs. The great-circle distance between two points is at most the
-- way along a meridian and then a parallel, R * (dlatitude + dlongitude) in
-- radians; a user whose located logins fit in a box where that is short of
-- min_distance_km (with a margin for rounding) is left out. A box across the
-- antimeridian is wide, so its user stays.
WITH travellers AS (
    SELECT user_key
    FROM untrusted_successes
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL
    GROUP BY user_key
    HAVING NOT 6371.0088 * radians((max(latitude) - min(latitude)) + (max(longitude) - min(longitude))) * 1.000001
        < getvariable('impossible_travel.min_distance_km')
), ordered AS (
    SELECT
        user_key, login_row, id, login_time, source_ip, latitude, longitude,
        lag(login_row) OVER w AS prev_row,
        lag(login_time) OVER w AS prev_time,
        lag(source_ip) OVER w AS prev_ip,
        lag(latitude) OVER w AS prev_latitude,
        lag(longitude) OVER w AS prev_longitude,
        lag(login_time, 2) OVER w AS before_time,
        lag(source_ip, 2) OVER w AS before_ip,
        lag(latitude, 2) OVER w AS before_latitude,
        lag(longitude, 2) OVER w AS before_longitude
    FROM untrusted_successes
    SEMI JOIN travellers USING (user_key)
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL
    WINDOW w AS (PARTITION BY user_key ORDER BY login_time, id)
), jumps AS (
    SELECT
        *,
        distance_km(prev_latitude, prev_longitude, latitude, longitude) AS km,
        epoch(login_time - prev_time) AS gap_seconds,
        distance_km(before_latitude, before_longitude, prev_latitude, prev_longitude) AS before_km,
        epoch(prev_time - before_time) AS before_gap_seconds
    FROM ordered
    WHERE source_ip <> prev_ip
), found AS MATERIALIZED (
    SELECT
        *,
        -- Rounded to the limit, a speed just past it would read as no finding.
        CASE WHEN gap_seconds = 0 THEN 'no time to travel at all'
            WHEN fmt_count(km / (gap_seconds / 3600.0)) = fmt_count(getvariable('impossible_travel.max_speed_kmh'))
                THEN 'just over ' || fmt_count(getvariable('impossible_travel.max_speed_kmh')) || ' km/h'
            ELSE 'about ' || fmt_count(km / (gap_seconds / 3600.0)) || ' km/h' END AS speed,
        -- The earlier login is the odd one out when the user's login before
        -- it was near the later one, and the way from there to the earlier
        -- login was no jump of its own (which would name it already).
        coalesce(distance_km(before_latitude, before_longitude, latitude, longitude) < getvariable('impossible_travel.min_distance_km')
            AND NOT (before_ip <> prev_ip AND before_km >= getvariable('impossible_travel.min_distance_km')
                AND (before_gap_seconds = 0 OR before_km / (before_gap_seconds / 3600.0) > getvariable('impossible_travel.max_speed_kmh'))),
            false) AS earlier_is_odd
    FROM jumps
    WHERE km >= getvariable('impossible_travel.min_distance_km')
        AND (gap_seconds = 0 OR km / (gap_seconds / 3600.0) > getvariable('impossible_travel.max_speed_kmh'))
), jump_ips AS (
    SELECT DISTINCT user_key, source_ip FROM found
    WHERE NOT earlier_is_odd AND getvariable('impossible_travel.follow_for') > INTERVAL 0 SECONDS
), firsts AS (
    -- The user's first successful untrusted login from each such IP,
    -- located or not.
    SELECT user_key, source_ip,
        arg_min(login_row, (login_time, id)) AS first_row,
        min(login_time) AS first_time,
        arg_min(id, (login_time, id)) AS first_id
    FROM untrusted_successes
    SEMI JOIN jump_ips USING (user_key, source_ip)
    GROUP BY user_key, source_ip
), leads AS (
    -- The jumps to an IP new for the user: its first login from the IP,
    -- or one the first came before without a place, after the login the
    -- jump was from (whoever jumped logged in from there first where
    -- LoginGeo had no place for it). At most one per user and IP: a later
    -- jump to the IP is from a login after the first. The login the jump
    -- was from gives its Id for ties in time, looked up for these few jumps
    -- rather than carried through the window.
    SELECT f.login_row, f.user_key, f.source_ip, f.login_time, f.id, i.first_row, i.first_time, i.first_id
    FROM found f
    JOIN firsts i USING (user_key, source_ip)
    JOIN logins p ON p.rowid = f.prev_row
    WHERE NOT f.earlier_is_odd
        AND (i.first_row = f.login_row OR (i.first_time, i.first_id) > (f.prev_time, p.id))
), followers AS (
    SELECT
        j.login_row,
        count(*) AS n,
        -- The first login from the IP, when it came before the jump.
        min(u.login_time) FILTER (WHERE j.first_row <> j.login_row) AS first_time,
        -- A Setup download's login (row:…) gives its time to the minute,
        -- unless the download writes seconds (its time is then not on one).
        bool_or(starts_with(u.id, 'row:') AND u.login_row = j.first_row
            AND date_trunc('minute', u.login_time) = u.login_time) AS first_to_the_minute,
        max(u.login_time) AS last_time,
        string_agg(u.id, ' ' ORDER BY u.login_time, u.id) AS ids,
        -- For a jump whose own login began no live session, the finding
        -- names a live one of the logins taken with it (the lowest Id), which its
        -- target reaches too: it names a session whenever its removals end
        -- one (a Setup download's login, which a place-less next login may
        -- be, included).
        min(ls.session_id) AS session_id
    FROM leads j
    JOIN untrusted_successes u ON u.user_key = j.user_key AND u.source_ip = j.source_ip
        AND (u.login_time > j.first_time OR (u.login_time = j.first_time AND u.id >= j.first_id))
        AND u.login_row <> j.login_row
        AND u.login_time <= j.login_time + getvariable('impossible_travel.follow_for')
    LEFT JOIN live_session_of_login ls ON ls.login_history_id = u.id
    GROUP BY j.login_row
), described AS (
    SELECT
        j.*, l.user_id, u.username, p.id AS prev_id, fw.n AS followers, fw.first_time AS followers_first, fw.first_to_the_minute, fw.last_time AS followers_last, fw.ids AS follower_ids, fw.session_id AS follower_session,
        place_name(l.city, l.country_iso, l.country) AS place,
        place_name(p.city, p.country_iso, p.country) AS prev_place
    FROM found j
    JOIN logins l ON l.rowid = j.login_row
    JOIN logins p ON p.rowid = j.prev_row
    LEFT JOIN usernames u ON u.user_key = l.user_key
    LEFT JOIN followers fw ON fw.login_row = j.login_row
)
SELECT
    'high' AS severity,
    j.user_id,
    j.username,
    coalesce(ls.session_id, j.follower_session) AS session_id,
    j.source_ip,
    j.login_time AS observed_at,
    printf('%s logged in from %s (%s) at %s, %s a login from %s (%s): %s apart, %s.',
        user_name(j.username, j.user_id), j.source_ip, j.place, fmt_time(j.login_time),
        CASE WHEN j.gap_seconds = 0 THEN 'at the same moment as'
            WHEN j.gap_seconds < 1 THEN 'less than a second after'
            ELSE human_seconds(floor(j.gap_seconds)::BIGINT) || ' after' END,
        j.prev_ip, j.prev_place, fmt_km(j.km), j.speed)
    || CASE WHEN j.followers_first IS NOT NULL THEN
            printf(' The user''s first successful login from %s came %s, at %s, without a place; %s',
                j.source_ip,
                -- Its Id may order it before the jump's own login at the very
                -- same moment: not "0 seconds before it".
                CASE WHEN j.first_to_the_minute THEN
                        -- Given to the minute, it came within the minute
                        -- its time names.
                        CASE WHEN date_trunc('minute', j.login_time) = j.followers_first THEN 'in the same minute as it (a Setup download gives minutes)'
                            ELSE 'about ' || human_seconds(epoch(date_trunc('minute', j.login_time) - j.followers_first)::BIGINT) || ' before it (a Setup download gives minutes)' END
                    WHEN j.followers_first = j.login_time THEN 'at the same moment as it'
                    WHEN epoch(j.login_time - j.followers_first) < 1 THEN 'less than a second before it'
                    ELSE human_seconds(floor(epoch(j.login_time - j.followers_first))::BIGINT) || ' before it' END,
                fmt_time(j.followers_first),
                CASE WHEN j.followers = 1 THEN 'it goes with this one, its sessions too.'
                    -- Some or all may have come before the jump, not within
                    -- follow_for of anything: the logins taken run up to it.
                    ELSE printf('it and %s more from that IP up to %s after this one, the last at %s, go with this one, their sessions too.',
                        fmt_count(j.followers - 1), whole_duration(getvariable('impossible_travel.follow_for')), fmt_time(j.followers_last)) END)
        WHEN j.followers = 1 THEN
            printf(' It was the user''s first successful login from %s; 1 more came from it within %s, at %s: its sessions go with this one.',
                j.source_ip, whole_duration(getvariable('impossible_travel.follow_for')), fmt_time(j.followers_last))
        WHEN j.followers > 1 THEN
            printf(' It was the user''s first successful login from %s; %s more came from it within %s, the last at %s: their sessions go with this one.',
                j.source_ip, fmt_count(j.followers), whole_duration(getvariable('impossible_travel.follow_for')), fmt_time(j.followers_last))
        ELSE '' END AS detail,
    'login' AS target_kind,
    concat_ws(' ', j.id, j.follower_ids) AS target_id
FROM described j
LEFT JOIN live_session_of_login ls ON ls.login_history_id = j.id
UNION ALL
-- The earlier login of a jump, when it is the odd one out (home, away, home
-- again): an intruder who logs in first is named too, not only the real
-- user who logs in after. Which of the two is the intruder the logins alone
-- cannot tell, so both findings stand.
SELECT
    'high',
    j.user_id,
    j.username,
    ls.session_id,
    j.prev_ip,
    j.prev_time,
    printf('%s logged in from %s (%s) at %s, %s a login from %s (%s): %s apart, %s. The login before it was near %s, as the later one is: this one is the odd one out.',
        user_name(j.username, j.user_id), j.prev_ip, j.prev_place, fmt_time(j.prev_time),
        CASE WHEN j.gap_seconds = 0 THEN 'at the same moment as'
            WHEN j.gap_seconds < 1 THEN 'less than a second before'
            ELSE human_seconds(floor(j.gap_seconds)::BIGINT) || ' before' END,
        j.source_ip, j.place, fmt_km(j.km), j.speed, j.place),
    'login',
    j.prev_id
FROM described j
LEFT JOIN live_session_of_login ls ON ls.login_history_id = j.prev_id
WHERE j.earlier_is_odd
