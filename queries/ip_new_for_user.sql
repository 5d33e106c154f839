-- id: ip_new_for_user
-- title: Live session from a country new for the user
-- severity: medium
-- rationale: Users log in from a handful of places. A live session from a country none of the
--   user's recent logins came from is the commonest sign of a stolen password or session;
--   users without enough history are not judged, to keep new users and rare travellers quiet.
--   Countries are compared like with like (ISO codes with ISO codes, names with names), so a
--   history from a Setup download, which names countries, cannot make a session's ISO code new.
-- remediation: Confirm with the user that the session is theirs; if not, end it and reset
--   the password. Add the user's VPN or travel ranges to trusted_networks.
-- knobs: ip_new_for_user.baseline, ip_new_for_user.min_history, ip_new_for_user.report_new_network, trusted_networks

-- Each live family is placed among the user's successful untrusted logins at
-- its login time; window frames count the logins of the baseline before it
-- (the family's own login, at that very moment, is not counted), per user,
-- per user and country, and per user and network. Only logins that can fall
-- in some family's baseline (from the user's earliest family's login time
-- minus the baseline to the latest's) are placed, which keeps the windows
-- to a fraction of the history.
--
-- History is the baseline logins whose country is given the way the
-- family's is (has_iso: an ISO code, else a name); logins with the other kind
-- or no country at all are left out of it, and the detail says how many.
WITH families AS (
    SELECT *
    FROM live_families
    WHERE NOT trusted AND country_key IS NOT NULL
), spans AS (
    SELECT user_key, min(login_time) - getvariable('ip_new_for_user.baseline') AS since, max(login_time) AS until
    FROM families
    GROUP BY user_key
), events AS (
    SELECT s.user_key, s.login_time AS t, s.country_key, s.has_iso, s.source_ip, NULL AS family_id
    FROM untrusted_successes s
    JOIN spans p ON p.user_key = s.user_key AND s.login_time >= p.since AND s.login_time < p.until
    UNION ALL
    SELECT user_key, login_time, country_key, has_iso, source_ip, family_id
    FROM families
), counted AS (
    SELECT
        family_id, has_iso,
        count(*) FILTER (WHERE family_id IS NULL) OVER baseline AS logins,
        count(*) FILTER (WHERE family_id IS NULL AND has_iso) OVER baseline AS with_iso,
        count(*) FILTER (WHERE family_id IS NULL AND country_key IS NOT NULL AND NOT has_iso) OVER baseline AS with_name,
        count(*) FILTER (WHERE family_id IS NULL) OVER (PARTITION BY user_key, country_key ORDER BY t
            RANGE BETWEEN getvariable('ip_new_for_user.baseline') PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING) AS from_country
    FROM events
    WINDOW baseline AS (PARTITION BY user_key ORDER BY t
        RANGE BETWEEN getvariable('ip_new_for_user.baseline') PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING)
    QUALIFY family_id IS NOT NULL
), by_network AS (
    -- Networks are counted only when new networks are reported: each
    -- window is a sort of the events.
    SELECT
        e.family_id,
        count(*) FILTER (WHERE e.family_id IS NULL) OVER (PARTITION BY e.user_key, i.network ORDER BY e.t
            RANGE BETWEEN getvariable('ip_new_for_user.baseline') PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING) AS from_network
    FROM events e
    JOIN ip_info i ON i.ip = e.source_ip
    WHERE getvariable('ip_new_for_user.report_new_network')
    QUALIFY e.family_id IS NOT NULL
), judged AS (
    SELECT f.*, c.history, c.logins - c.history AS not_compared, c.from_country, n.from_network
    FROM (SELECT *, CASE WHEN has_iso THEN with_iso ELSE with_name END AS history FROM counted) c
    JOIN families f ON f.family_id = c.family_id
    LEFT JOIN by_network n ON n.family_id = c.family_id
    WHERE c.history >= getvariable('ip_new_for_user.min_history')
        AND (c.from_country = 0 OR n.from_network = 0)
)
SELECT
    CASE WHEN from_country = 0 THEN 'medium' ELSE 'low' END AS severity,
    user_id,
    username,
    origin_id AS session_id,
    source_ip,
    login_time AS observed_at,
    CASE WHEN from_country = 0 THEN
        printf('%s has a live %s session from %s (%s) since %s; none of the user''s %s successful logins in the %s before it came from %s%s.',
            user_name(username, user_id), coalesce(session_type, 'untyped'), place_name(city, country_iso, country), source_ip,
            fmt_time(login_time), fmt_count(history), human_duration(getvariable('ip_new_for_user.baseline')), country_key,
            CASE WHEN not_compared > 0 THEN printf(' (%s more, %s, could not be compared)', fmt_count(not_compared),
                CASE WHEN has_iso THEN 'without a country code' ELSE 'with a country code or none' END) ELSE '' END)
    ELSE
        printf('%s has a live %s session from %s (%s) since %s; none of the user''s %s successful logins in the %s before it came from network %s, though %s came from %s.',
            user_name(username, user_id), coalesce(session_type, 'untyped'), source_ip, place_name(city, country_iso, country),
            fmt_time(login_time), fmt_count(history), human_duration(getvariable('ip_new_for_user.baseline')), network,
            fmt_count(from_country), country_key)
    END AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM judged
