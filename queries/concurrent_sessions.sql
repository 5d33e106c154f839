-- id: concurrent_sessions
-- title: Live sessions of one user from distant places at once
-- severity: high
-- rationale: One person is in one place. A user who holds live sessions from places hundreds
--   of kilometres apart, or from different countries, shares the account with someone, and
--   that someone may be an attacker replaying a stolen session.
-- remediation: End the session family from the less familiar place, reset the user's
--   password and confirm with the user which place is theirs.
-- knobs: concurrent_sessions.min_distance_km, ip_new_for_user.baseline, trusted_networks

-- Live families reduce to distinct (user, IP, place) origins before pairing,
-- so the pairs grow with a user's places rather than their sessions. Of each
-- pair, the family from the place the user's recent logins know least is the
-- removal target: by country, then by network (IPv4 /24, IPv6 /48), then the
-- later-created one on a tie; the detail explains whichever decided. Only
-- users with two origins or more can pair, so only their recent logins are
-- counted.
WITH origins AS (
    SELECT
        f.user_key, f.source_ip, f.network, f.country_key, f.city, f.country_iso, f.country, f.latitude, f.longitude,
        concat_ws('|', f.country_key, f.city, f.latitude, f.longitude) AS place_key,
        arg_min(f.user_id, f.created) AS user_id,
        arg_min(f.username, f.created) AS username,
        min(f.created) AS since,
        max(f.created) AS latest,
        arg_max(f.family_id, f.created) AS family_id,
        arg_max(f.origin_id, f.created) AS origin_id
    FROM live_families f
    WHERE NOT f.trusted AND (f.country_key IS NOT NULL OR (f.latitude IS NOT NULL AND f.longitude IS NOT NULL))
    GROUP BY ALL
), pairing_users AS (
    SELECT user_key FROM origins GROUP BY user_key HAVING count(*) > 1
), reporting_users AS (
    -- The users with a pair of origins that makes a finding, found before
    -- any login is counted: only their recent logins are read.
    SELECT DISTINCT a.user_key
    FROM origins a
    SEMI JOIN pairing_users USING (user_key)
    JOIN origins b ON b.user_key = a.user_key AND b.source_ip <> a.source_ip AND b.place_key <> a.place_key
    WHERE CASE
        WHEN a.latitude IS NOT NULL AND a.longitude IS NOT NULL AND b.latitude IS NOT NULL AND b.longitude IS NOT NULL
            THEN distance_km(a.latitude, a.longitude, b.latitude, b.longitude) >= getvariable('concurrent_sessions.min_distance_km')
        ELSE a.country_key <> b.country_key
    END
), recent AS (
    -- Counted by IP first, so only the distinct IPs look up their network.
    -- The logins are read as untrusted_successes defines them but without
    -- the view, so that the semi-join on the reporting users comes first and
    -- sits on the scan: DuckDB then filters the scan by their user_key and
    -- reads the other columns only where it matches. Behind the view's
    -- trusted-IP test, it read every column of the last baseline of logins
    -- for a handful of users.
    SELECT r.user_key, r.country_key, i.network, sum(r.logins) AS logins
    FROM (
        SELECT l.user_key, coalesce(l.country_iso, l.country) AS country_key, l.source_ip, count(*) AS logins
        FROM logins l
        SEMI JOIN reporting_users USING (user_key)
        WHERE l.success AND l.source_ip IS NOT NULL
            AND l.login_time >= getvariable('as_of') - getvariable('ip_new_for_user.baseline')
            AND l.login_time < getvariable('as_of')
            AND l.source_ip NOT IN (SELECT ip FROM ip_info WHERE trusted)
        GROUP BY ALL
    ) r
    JOIN ip_info i ON i.ip = r.source_ip
    GROUP BY ALL
), by_user AS (
    SELECT user_key, sum(logins) AS logins FROM recent GROUP BY ALL
), by_country AS (
    SELECT user_key, country_key, sum(logins) AS logins FROM recent GROUP BY ALL
), by_network AS (
    SELECT user_key, network, sum(logins) AS logins FROM recent GROUP BY ALL
), scored AS (
    SELECT
        o.*,
        coalesce(c.logins, 0) AS country_logins,
        coalesce(n.logins, 0) AS network_logins,
        coalesce(u.logins, 0) AS all_logins,
        row_number() OVER (PARTITION BY o.user_key ORDER BY o.since, o.source_ip, o.place_key) AS n
    FROM origins o
    SEMI JOIN reporting_users USING (user_key)
    LEFT JOIN by_user u ON u.user_key = o.user_key
    LEFT JOIN by_country c ON c.user_key = o.user_key AND c.country_key = o.country_key
    LEFT JOIN by_network n ON n.user_key = o.user_key AND n.network = o.network
), pairs AS (
    SELECT
        a.user_key,
        a.user_id, a.username, a.all_logins,
        a AS o1,
        b AS o2,
        CASE WHEN a.latitude IS NOT NULL AND a.longitude IS NOT NULL AND b.latitude IS NOT NULL AND b.longitude IS NOT NULL
            THEN distance_km(a.latitude, a.longitude, b.latitude, b.longitude) END AS km,
        -- b is the target when it is less familiar, or as familiar and later.
        (b.country_logins, b.network_logins) < (a.country_logins, a.network_logins)
            OR ((b.country_logins, b.network_logins) = (a.country_logins, a.network_logins) AND b.latest >= a.latest) AS target_b,
        least(a.place_key, b.place_key) AS place_1,
        greatest(a.place_key, b.place_key) AS place_2
    FROM scored a
    JOIN scored b ON b.user_key = a.user_key AND b.n > a.n AND b.source_ip <> a.source_ip
), found AS (
    SELECT
        user_key, user_id, username, all_logins, km,
        o1 AS a,
        CASE WHEN target_b THEN o2 ELSE o1 END AS t,
        CASE WHEN target_b THEN o1 ELSE o2 END AS o,
        o2 AS b
    FROM pairs
    WHERE place_1 <> place_2 AND CASE
        WHEN km IS NOT NULL THEN km >= getvariable('concurrent_sessions.min_distance_km')
        ELSE o1.country_key <> o2.country_key
    END
    -- One finding per pair of places, however many IPs each place has.
    QUALIFY row_number() OVER (PARTITION BY user_key, place_1, place_2 ORDER BY o1.since, o2.since, o1.source_ip, o2.source_ip) = 1
), explained AS (
    SELECT
        *,
        place_name(t.city, t.country_iso, t.country) AS t_place,
        printf('of the user''s %s successful logins in the %s before the audit',
            fmt_count(all_logins), human_duration(getvariable('ip_new_for_user.baseline'))) AS of_logins,
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
    t.origin_id AS session_id,
    t.source_ip,
    t.latest AS observed_at,
    printf('%s holds live sessions from %s (%s, since %s) and %s (%s, since %s), %s. ',
        user_name(username, user_id),
        place_name(a.city, a.country_iso, a.country), a.source_ip, fmt_time(a.since),
        place_name(b.city, b.country_iso, b.country), b.source_ip, fmt_time_after(b.since, a.since),
        CASE WHEN km IS NOT NULL THEN fmt_km(km) || ' apart' ELSE 'in different countries' END)
    || CASE
        WHEN t.country_logins <> o.country_logins THEN
            printf('The removal targets the %s sessions: %s %s came from %s, %s from %s.',
                t_place, fmt_count(t.country_logins), of_logins, t_country, fmt_count(o.country_logins), o_country)
        WHEN t.network_logins <> o.network_logins THEN
            printf('The removal targets the %s sessions: %s, and %s %s came from its network %s, %s from %s.',
                t_place,
                CASE WHEN same_country THEN 'both places are in ' || t_country
                    ELSE printf('%s and %s are as familiar', t_country, o_country) END,
                fmt_count(t.network_logins), of_logins, t_network, fmt_count(o.network_logins), o_network)
        ELSE
            printf('The removal targets the %s sessions, created later, as neither place is more familiar: %s.',
                t_place, CASE
                    WHEN all_logins = 0 THEN printf('the user has no successful logins in the %s before the audit',
                        human_duration(getvariable('ip_new_for_user.baseline')))
                    ELSE printf('%s %s came from %s, and %s from each network (%s, %s)',
                        fmt_count(t.country_logins), of_logins,
                        CASE WHEN same_country THEN t_country ELSE printf('each of %s and %s', t_country, o_country) END,
                        fmt_count(t.network_logins), t_network, o_network)
                END)
    END AS detail,
    'family' AS target_kind,
    t.family_id AS target_id
FROM explained
