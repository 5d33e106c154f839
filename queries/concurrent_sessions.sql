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
-- pair, the family from the place the user's recent logins know least (by
-- country, then network; the later one on a tie) is the removal target.
WITH origins AS (
    SELECT
        f.user_key, f.source_ip, i.network, f.country_key, f.city, f.latitude, f.longitude,
        place_name(f.city, f.country_iso, f.country) AS place,
        concat_ws('|', f.country_key, f.city, f.latitude, f.longitude) AS place_key,
        arg_min(f.user_id, f.created) AS user_id,
        arg_min(f.username, f.created) AS username,
        min(f.created) AS since,
        max(f.created) AS latest,
        arg_max(f.family_id, f.created) AS family_id,
        arg_max(f.origin_id, f.created) AS origin_id
    FROM live_families f
    JOIN ip_info i ON i.ip = f.source_ip
    WHERE NOT i.trusted AND (f.country_key IS NOT NULL OR (f.latitude IS NOT NULL AND f.longitude IS NOT NULL))
    GROUP BY ALL
), recent AS (
    SELECT user_key, country_key, network, count(*) AS logins
    FROM untrusted_logins
    WHERE success
        AND login_time >= getvariable('as_of') - getvariable('ip_new_for_user.baseline')
        AND login_time < getvariable('as_of')
    GROUP BY ALL
), scored AS (
    SELECT
        o.*,
        coalesce((SELECT sum(r.logins) FROM recent r WHERE r.user_key = o.user_key AND r.country_key = o.country_key), 0) AS country_logins,
        coalesce((SELECT sum(r.logins) FROM recent r WHERE r.user_key = o.user_key AND r.network = o.network), 0) AS network_logins,
        coalesce((SELECT sum(r.logins) FROM recent r WHERE r.user_key = o.user_key), 0) AS all_logins,
        row_number() OVER (PARTITION BY o.user_key ORDER BY o.since, o.source_ip, o.place_key) AS n
    FROM origins o
), pairs AS (
    SELECT
        a.user_key,
        a.user_id, a.username, a.all_logins,
        a.place AS a_place, a.source_ip AS a_ip, a.since AS a_since, a.country_key AS a_country, a.country_logins AS a_country_logins,
        b.place AS b_place, b.source_ip AS b_ip, b.since AS b_since, b.country_key AS b_country, b.country_logins AS b_country_logins,
        CASE WHEN a.latitude IS NOT NULL AND a.longitude IS NOT NULL AND b.latitude IS NOT NULL AND b.longitude IS NOT NULL
            THEN distance_km(a.latitude, a.longitude, b.latitude, b.longitude) END AS km,
        -- b is the target when it is less familiar, or as familiar and later.
        (b.country_logins, b.network_logins) < (a.country_logins, a.network_logins)
            OR ((b.country_logins, b.network_logins) = (a.country_logins, a.network_logins) AND b.latest >= a.latest) AS target_b,
        a.family_id AS a_family, a.origin_id AS a_origin, a.latest AS a_latest,
        b.family_id AS b_family, b.origin_id AS b_origin, b.latest AS b_latest,
        least(a.place_key, b.place_key) AS place_1,
        greatest(a.place_key, b.place_key) AS place_2
    FROM scored a
    JOIN scored b ON b.user_key = a.user_key AND b.n > a.n AND b.source_ip <> a.source_ip
), found AS (
    SELECT * FROM pairs
    WHERE place_1 <> place_2 AND CASE
        WHEN km IS NOT NULL THEN km >= getvariable('concurrent_sessions.min_distance_km')
        ELSE a_country <> b_country
    END
    -- One finding per pair of places, however many IPs each place has.
    QUALIFY row_number() OVER (PARTITION BY user_key, place_1, place_2 ORDER BY a_since, b_since, a_ip, b_ip) = 1
)
SELECT
    'high' AS severity,
    user_id,
    username,
    CASE WHEN target_b THEN b_origin ELSE a_origin END AS session_id,
    CASE WHEN target_b THEN b_ip ELSE a_ip END AS source_ip,
    CASE WHEN target_b THEN b_latest ELSE a_latest END AS observed_at,
    printf('%s holds live sessions from %s (%s, since %s) and %s (%s, since %s), %s. The removal targets the %s sessions: %s of the user''s %s successful logins in the %s before the audit came from %s, %s from %s.',
        user_name(username, user_id), a_place, a_ip, fmt_time(a_since), b_place, b_ip, fmt_time_after(b_since, a_since),
        CASE WHEN km IS NOT NULL THEN fmt_km(km) || ' apart' ELSE 'in different countries' END,
        CASE WHEN target_b THEN b_place ELSE a_place END,
        fmt_count(CASE WHEN target_b THEN b_country_logins ELSE a_country_logins END), fmt_count(all_logins),
        human_duration(getvariable('ip_new_for_user.baseline')),
        coalesce(CASE WHEN target_b THEN b_country ELSE a_country END, 'that place'),
        fmt_count(CASE WHEN target_b THEN a_country_logins ELSE b_country_logins END),
        coalesce(CASE WHEN target_b THEN a_country ELSE b_country END, 'the other')) AS detail,
    'family' AS target_kind,
    CASE WHEN target_b THEN b_family ELSE a_family END AS target_id
FROM found
