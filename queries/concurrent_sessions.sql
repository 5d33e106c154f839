-- id: concurrent_sessions
-- title: Live sessions of one user from distant places at once
-- severity: high
-- rationale: One person is in one place. A user who holds live sessions from places hundreds
--   of kilometres apart, or from different countries, shares the account with someone, and
--   that someone may be an attacker replaying a stolen session.
-- remediation: End the session family from the less familiar place, reset the user's
--   password and confirm with the user which place is theirs.
-- knobs: concurrent_sessions.min_distance_km, ip_new_for_user.baseline, trusted_networks
-- removes: every family at each far place, from any of its IPs but one of the user's place

-- Live families reduce to distinct (user, IP, place) origins. Each user who
-- has origins in two places or more is taken to be at their anchor: the
-- origin from the place the user's recent logins know best, by country, then
-- by network (IPv4 /24, IPv6 /48), then the earlier-created one on a tie.
-- Recent means the baseline before the first of the user's origins began, so
-- that the logins that opened the sessions in question, or an intruder's
-- logins since, do not make a place familiar. It ends at that origin's login,
-- as ip_new_for_user's baseline does: two minutes before it when the login
-- is not in the history (the family is then dated by its creation, and a
-- Setup download gives the login to the minute) or when some logins come
-- from a Setup download, which may hold a copy of it. The window is per
-- user, so the scan of the logins is bounded by the earliest and latest
-- window, not by one constant range: a user whose first session is weeks
-- old widens it (a join probe more per login in between, no more).
-- Every other place far from the anchor makes one finding, which targets all
-- of the user's live families there, from any of its IPs but those of the
-- anchor's place (see anchor_ips); the detail explains what decided.
-- Measuring each place against the anchor, not against every other place,
-- keeps the check linear in a user's places: a shared or stolen account seen
-- from hundreds of places at once gives hundreds of findings, not tens of
-- thousands of pairs. Only users with two places have their recent logins
-- counted.
--
-- A family without an IP has no network to vouch for it, so it is judged
-- like an untrusted one. Countries are compared only when both are given
-- the same way (has_iso): a name the load could not read as a code is not
-- a different country from a code.
WITH origins AS (
    SELECT
        f.user_key, f.source_ip, f.network, f.country_key, f.has_iso, f.city, f.country_iso, f.country, f.latitude, f.longitude,
        concat_ws('|', f.country_key, f.city, f.latitude, f.longitude) AS place_key,
        arg_min(f.user_id, f.created) AS user_id,
        arg_min(f.username, f.created) AS username,
        min(f.created) AS since,
        min(f.login_time) AS first_login,
        min(CASE WHEN f.login_known AND NOT getvariable('logins_without_ids') THEN f.login_time
            ELSE f.login_time - INTERVAL 2 MINUTE END) AS baseline_end,
        max(f.created) AS latest,
        arg_max(f.live_id, f.created) AS live_id,
        list(f.family_id) AS family_ids
    FROM live_families f
    WHERE NOT coalesce(f.trusted, false) AND (f.country_key IS NOT NULL OR (f.latitude IS NOT NULL AND f.longitude IS NOT NULL))
    GROUP BY ALL
), pairing_users AS (
    -- The users who may have a place far from another, found before any
    -- login is counted, so that only their recent logins are read: those
    -- with places in two countries, or whose places span a box with room for
    -- two places min_distance_km apart. No two points of the box are further
    -- apart than a path along its height and then its width at the latitude
    -- nearest the equator, so no user with a finding is left out.
    SELECT user_key, min(baseline_end) AS began, min(first_login) AS first_at
    FROM origins
    GROUP BY user_key
    HAVING count(DISTINCT place_key) > 1 AND (
        count(DISTINCT country_key) > 1
        OR 6371.0088 * (radians(max(latitude) - min(latitude)) + radians(max(longitude) - min(longitude)) * CASE
            WHEN min(latitude) <= 0 AND max(latitude) >= 0 THEN 1
            ELSE greatest(cos(radians(min(latitude))), cos(radians(max(latitude)))) END)
            >= getvariable('concurrent_sessions.min_distance_km') - 1)
), recent AS (
    -- Counted by IP first, so only the distinct IPs look up their network.
    -- The logins are read as untrusted_successes defines them but without
    -- the view, so that the join on the pairing users comes first and sits
    -- on the scan: DuckDB then filters the scan by their user_key and reads
    -- the other columns only where it matches.
    SELECT r.user_key, r.country_key, i.network, sum(r.logins) AS logins
    FROM (
        SELECT l.user_key, coalesce(l.country_iso, l.country) AS country_key, l.source_ip, count(*) AS logins
        FROM logins l
        JOIN pairing_users p USING (user_key)
        WHERE l.success AND l.source_ip IS NOT NULL
            AND l.login_time >= p.began - getvariable('ip_new_for_user.baseline')
            AND l.login_time < p.began
            AND l.source_ip NOT IN (SELECT ip FROM ip_info WHERE trusted)
        GROUP BY ALL
    ) r
    JOIN ip_info i ON i.ip = r.source_ip
    GROUP BY ALL
), by_user AS (
    SELECT p.user_key, p.first_at, coalesce(sum(r.logins), 0) AS logins
    FROM pairing_users p LEFT JOIN recent r USING (user_key)
    GROUP BY ALL
), by_country AS (
    SELECT user_key, country_key, sum(logins) AS logins FROM recent GROUP BY ALL
), by_network AS (
    SELECT user_key, network, sum(logins) AS logins FROM recent GROUP BY ALL
), scored AS (
    SELECT
        o.*,
        coalesce(c.logins, 0) AS country_logins,
        coalesce(n.logins, 0) AS network_logins,
        u.logins AS all_logins,
        u.first_at
    FROM origins o
    JOIN by_user u ON u.user_key = o.user_key
    LEFT JOIN by_country c ON c.user_key = o.user_key AND c.country_key = o.country_key
    LEFT JOIN by_network n ON n.user_key = o.user_key AND n.network = o.network
), anchors AS (
    SELECT *
    FROM scored
    QUALIFY row_number() OVER (PARTITION BY user_key
        ORDER BY country_logins DESC, network_logins DESC, since, source_ip NULLS LAST, place_key) = 1
), anchor_ips AS (
    -- The IPs of every origin at the anchor's place, not only the anchor's
    -- own: which of them the baseline knows best must not decide whether a
    -- far place that shares one of them is travel.
    SELECT a.user_key, list(s.source_ip) FILTER (WHERE s.source_ip IS NOT NULL) AS ips
    FROM anchors a
    JOIN scored s ON s.user_key = a.user_key AND s.place_key = a.place_key
    GROUP BY a.user_key
), measured AS (
    SELECT
        t.user_key, t.user_id, t.username, t.all_logins, t.first_at,
        t, o,
        CASE WHEN t.latitude IS NOT NULL AND t.longitude IS NOT NULL AND o.latitude IS NOT NULL AND o.longitude IS NOT NULL
            THEN distance_km(t.latitude, t.longitude, o.latitude, o.longitude) END AS km
    FROM scored t
    JOIN anchors o ON o.user_key = t.user_key AND o.place_key <> t.place_key
    JOIN anchor_ips h ON h.user_key = t.user_key
    -- The same IP is never travel: an address placed both at the anchor's
    -- place and far away is the geo database's doubt. Two families without
    -- an IP may be travel.
    -- (ips is NULL when no family at the anchor's place has an IP.)
    WHERE NOT coalesce(list_contains(h.ips, t.source_ip), false)
), found AS (
    -- a and b are the two origins in the order their families began.
    -- place_families are the live families of every IP at the far place
    -- but the anchor's place's, and place_ips those IPs, which the detail
    -- names: the removal list quotes it for each session there.
    SELECT
        *,
        list_sort(flatten(list(t.family_ids) OVER (PARTITION BY user_key, t.place_key))) AS place_families,
        list_sort(list_distinct(list(coalesce(t.source_ip, 'no IP')) OVER (PARTITION BY user_key, t.place_key))) AS place_ips,
        -- The place's latest family, from whichever of its IPs: the finding
        -- names its session and IP and is dated by it.
        arg_max({'live_id': t.live_id, 'source_ip': t.source_ip, 'latest': t.latest}, (t.latest, coalesce(t.source_ip, '')))
            OVER (PARTITION BY user_key, t.place_key) AS place_latest,
        (t.since, coalesce(t.source_ip, '')) < (o.since, coalesce(o.source_ip, '')) AS t_first,
        CASE WHEN t_first THEN t ELSE o END AS a,
        CASE WHEN t_first THEN o ELSE t END AS b
    FROM measured
    WHERE CASE
        WHEN km IS NOT NULL THEN km >= getvariable('concurrent_sessions.min_distance_km')
        ELSE t.country_key <> o.country_key AND t.has_iso = o.has_iso
    END
    -- One finding per place, however many IPs it has.
    QUALIFY row_number() OVER (PARTITION BY user_key, t.place_key ORDER BY t.since, t.source_ip NULLS LAST) = 1
), explained AS (
    SELECT
        *,
        place_name(t.city, t.country_iso, t.country) AS t_place,
        CASE WHEN len(place_ips) BETWEEN 2 AND 5
            THEN array_to_string(place_ips[1:-2], ', ') || ' and ' || place_ips[-1]
            ELSE few_of(place_ips[1:5], len(place_ips)) END AS t_ips,
        printf('in the %s before the user''s first live session from an untrusted place began (%s)',
            whole_duration(getvariable('ip_new_for_user.baseline')), fmt_time(first_at)) AS baseline,
        printf('of the user''s %s %s', count_unit(all_logins, 'successful login'), baseline) AS of_logins,
        t.country_key = o.country_key AS same_country,
        coalesce(t.country_key, 'that place') AS t_country,
        coalesce(o.country_key, 'the other') AS o_country,
        coalesce(t.network, 'an unknown network') AS t_network,
        coalesce(o.network, 'an unknown network') AS o_network
    FROM found
)
SELECT
    'high' AS severity,
    user_id,
    username,
    place_latest.live_id AS session_id,
    place_latest.source_ip,
    place_latest.latest AS observed_at,
    printf('%s holds live sessions from %s (%s, since %s) and %s (%s, since %s), %s. ',
        user_name(username, user_id),
        place_name(a.city, a.country_iso, a.country), CASE WHEN t_first THEN t_ips ELSE coalesce(o.source_ip, 'no IP') END, fmt_time(a.since),
        place_name(b.city, b.country_iso, b.country), CASE WHEN t_first THEN coalesce(o.source_ip, 'no IP') ELSE t_ips END, fmt_time_after(b.since, a.since),
        CASE WHEN km IS NOT NULL THEN fmt_km(km) || ' apart' ELSE 'in different countries' END)
    || CASE
        WHEN t.country_logins <> o.country_logins THEN
            printf('The %s sessions are the suspect ones: %s %s came from %s, %s from %s.',
                t_place, fmt_none(t.country_logins), of_logins, t_country, fmt_none(o.country_logins), o_country)
        WHEN t.network_logins <> o.network_logins THEN
            printf('The %s sessions are the suspect ones: %s, and %s %s came from their network (%s), %s from %s.',
                t_place,
                CASE WHEN same_country THEN 'both places are in one country (' || t_country || ')'
                    ELSE printf('%s and %s are as familiar', t_country, o_country) END,
                fmt_none(t.network_logins), of_logins, t_network, fmt_none(o.network_logins), o_network)
        ELSE
            printf('The %s sessions%s are the suspect ones, as neither place is more familiar: %s.',
                t_place, CASE WHEN t.since > o.since THEN ', created later,' ELSE '' END, CASE
                    WHEN all_logins = 0 THEN 'the user has no successful logins ' || baseline
                    ELSE printf('%s %s came from %s, and %s from each network (%s, %s)',
                        fmt_count(t.country_logins), of_logins,
                        CASE WHEN same_country THEN t_country ELSE printf('each of %s and %s', t_country, o_country) END,
                        fmt_count(t.network_logins), t_network, o_network)
                END)
    END AS detail,
    'family' AS target_kind,
    array_to_string(place_families, ' ') AS target_id
FROM explained
