-- id: impossible_travel
-- title: Impossible travel between consecutive logins
-- severity: high
-- rationale: Two successful logins of one user from places farther apart than anyone can
--   travel in the time between them mean two people hold the credentials, or one of them
--   hides behind a relay.
-- remediation: End the sessions of the suspect login, reset the user's password and ask the
--   user which login was theirs; add known VPN egress ranges to trusted_networks.
-- knobs: impossible_travel.min_distance_km, impossible_travel.max_speed_kmh, trusted_networks
-- removes: the families the suspect login created: the later one, or the earlier when the
--   user's login before it was near the later one (home, away, home: away is the suspect)

-- Trusted and place-less logins drop out before pairing, so a VPN login in
-- between cannot hide a jump; each login is then compared with the one before
-- it (LAG), which stays linear in the number of logins. Which of the two is
-- the suspect: the later, unless the login before the earlier one was near
-- the later one (the user at home, someone far away, the user at home again),
-- when the earlier is the odd one out; an attacker who logs in first must not
-- leave the real user's session as the one to end. The window carries
-- only what the comparison needs; names and places are looked up for the
-- jumps found.
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
        login_row, id, login_time, source_ip, latitude, longitude,
        lag(login_row) OVER w AS prev_row,
        lag(login_time) OVER w AS prev_time,
        lag(source_ip) OVER w AS prev_ip,
        lag(latitude) OVER w AS prev_latitude,
        lag(longitude) OVER w AS prev_longitude,
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
        coalesce(distance_km(before_latitude, before_longitude, latitude, longitude)
            < getvariable('impossible_travel.min_distance_km'), false) AS earlier_is_odd
    FROM ordered
    WHERE source_ip <> prev_ip
), found AS (
    SELECT * FROM jumps
    WHERE km >= getvariable('impossible_travel.min_distance_km')
        AND (gap_seconds = 0 OR km / (gap_seconds / 3600.0) > getvariable('impossible_travel.max_speed_kmh'))
)
SELECT
    'high' AS severity,
    l.user_id,
    u.username,
    ls.session_id,
    CASE WHEN j.earlier_is_odd THEN j.prev_ip ELSE j.source_ip END AS source_ip,
    j.login_time AS observed_at,
    printf('%s logged in from %s (%s) at %s, %s a login from %s (%s): %s apart, %s.',
        user_name(u.username, l.user_id), j.source_ip, place_name(l.city, l.country_iso, l.country), fmt_time(j.login_time),
        CASE WHEN j.gap_seconds = 0 THEN 'at the same moment as'
            ELSE human_seconds(j.gap_seconds::BIGINT) || ' after' END,
        j.prev_ip, place_name(p.city, p.country_iso, p.country), fmt_km(j.km),
        CASE WHEN j.gap_seconds = 0 THEN 'no time to travel at all'
            -- Rounded to the limit, a speed just past it would read as no finding.
            WHEN fmt_count(j.km / (j.gap_seconds / 3600.0)) = fmt_count(getvariable('impossible_travel.max_speed_kmh'))
                THEN 'just over ' || fmt_count(getvariable('impossible_travel.max_speed_kmh')) || ' km/h'
            ELSE 'about ' || fmt_count(j.km / (j.gap_seconds / 3600.0)) || ' km/h' END)
    || CASE WHEN j.earlier_is_odd THEN printf(' The login before the one from %s was near %s too, so that one is the odd one out and its sessions are the suspect ones.',
            j.prev_ip, place_name(l.city, l.country_iso, l.country)) ELSE '' END AS detail,
    'login' AS target_kind,
    CASE WHEN j.earlier_is_odd THEN p.id ELSE j.id END AS target_id
FROM found j
JOIN logins l ON l.rowid = j.login_row
JOIN logins p ON p.rowid = j.prev_row
LEFT JOIN usernames u ON u.user_key = l.user_key
LEFT JOIN live_session_of_login ls ON ls.login_history_id = CASE WHEN j.earlier_is_odd THEN p.id ELSE j.id END
