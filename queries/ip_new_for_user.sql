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

-- Each live family is placed among the user's successful untrusted logins
-- twice, as probes at the end of its baseline (its login time) and at the
-- start (a baseline earlier). Running counts of the logins before each probe
-- (probes sort first among equal times) give, as the difference of the two,
-- the logins of the baseline before the family, its own login at that very
-- moment left out: per user, per user and country, and per user and network.
-- Running counts stay linear in a user's logins, where DuckDB's RANGE frames
-- grow faster than that on one user with many logins and families. Only
-- logins that can fall in some family's baseline (from the user's earliest
-- family's login time minus the baseline to the latest's) are placed, which
-- keeps the sorts to a fraction of the history. The logins per user are
-- counted (a second sort) only for the users of families whose country or
-- network came out new, which are few.
--
-- History is the baseline logins whose country is given the way the
-- family's is (has_iso: an ISO code, else a name); logins with the other kind
-- or no country at all are left out of it, and the detail says how many.
--
-- The sorts carry numbers rather than strings where they can: users are
-- numbered in spans and families in families, and a login's IP rides along
-- only when networks are counted.
WITH families AS MATERIALIZED (
    SELECT *, row_number() OVER () AS family_no
    FROM live_families
    WHERE NOT trusted AND country_key IS NOT NULL
), spans AS MATERIALIZED (
    SELECT
        user_key,
        row_number() OVER () AS user_no,
        min(login_time) - getvariable('ip_new_for_user.baseline') AS since,
        max(login_time) AS until
    FROM families
    GROUP BY user_key
), probes AS (
    SELECT p.user_no, f.login_time, f.country_key, f.has_iso, f.network, f.family_no
    FROM families f
    JOIN spans p USING (user_key)
), events AS MATERIALIZED (
    SELECT
        p.user_no, s.login_time AS t, 1 AS is_login, s.country_key, s.has_iso,
        CASE WHEN getvariable('ip_new_for_user.report_new_network') THEN s.source_ip END AS source_ip,
        NULL::VARCHAR AS network, NULL::BIGINT AS family_no, NULL::BOOLEAN AS is_end
    FROM untrusted_successes s
    JOIN spans p ON p.user_key = s.user_key AND s.login_time >= p.since AND s.login_time < p.until
    UNION ALL
    SELECT user_no, login_time, 0, country_key, has_iso, NULL, network, family_no, true
    FROM probes
    UNION ALL
    SELECT user_no, login_time - getvariable('ip_new_for_user.baseline'), 0, country_key, has_iso, NULL, network, family_no, false
    FROM probes
), counted AS (
    SELECT
        user_no, family_no, is_end,
        sum(is_login) OVER (ORDER BY user_no, country_key, t, is_login ROWS UNBOUNDED PRECEDING) AS from_country
    FROM events
    QUALIFY family_no IS NOT NULL
), network_counted AS (
    -- Networks are counted only when new networks are reported: it takes
    -- another sort of the events. A probe carries its family's network.
    SELECT
        e.family_no, e.is_end,
        sum(e.is_login) OVER (ORDER BY e.user_no, coalesce(i.network, e.network), e.t, e.is_login ROWS UNBOUNDED PRECEDING) AS from_network
    FROM events e
    LEFT JOIN ip_info i ON i.ip = e.source_ip
    WHERE getvariable('ip_new_for_user.report_new_network')
    QUALIFY e.family_no IS NOT NULL
), new_families AS (
    -- Only a family whose country (or network) is new can be reported, and
    -- few are: the logins of their users alone are counted once more.
    SELECT
        e.family_no, e.user_no,
        e.from_country - s.from_country AS from_country,
        ne.from_network - ns.from_network AS from_network
    FROM counted e
    JOIN counted s ON s.family_no = e.family_no AND NOT s.is_end
    LEFT JOIN network_counted ne ON ne.family_no = e.family_no AND ne.is_end
    LEFT JOIN network_counted ns ON ns.family_no = e.family_no AND NOT ns.is_end
    WHERE e.is_end AND (e.from_country - s.from_country = 0 OR ne.from_network - ns.from_network = 0)
), user_counted AS (
    SELECT
        family_no, is_end,
        sum(is_login) OVER by_user AS logins,
        sum(CASE WHEN is_login = 1 AND has_iso THEN 1 ELSE 0 END) OVER by_user AS with_iso,
        sum(CASE WHEN is_login = 1 AND country_key IS NOT NULL AND NOT has_iso THEN 1 ELSE 0 END) OVER by_user AS with_name
    FROM events
    SEMI JOIN (SELECT DISTINCT user_no FROM new_families) USING (user_no)
    WINDOW by_user AS (ORDER BY user_no, t, is_login ROWS UNBOUNDED PRECEDING)
    QUALIFY family_no IS NOT NULL
), judged AS (
    SELECT
        f.*,
        CASE WHEN f.has_iso THEN e.with_iso - s.with_iso ELSE e.with_name - s.with_name END AS history,
        e.logins - s.logins AS logins,
        n.from_country,
        n.from_network
    FROM families f
    JOIN new_families n USING (family_no)
    JOIN user_counted e ON e.family_no = f.family_no AND e.is_end
    JOIN user_counted s ON s.family_no = f.family_no AND NOT s.is_end
), judged_new AS (
    SELECT *, logins - history AS not_compared
    FROM judged
    WHERE history >= getvariable('ip_new_for_user.min_history')
        AND (from_country = 0 OR from_network = 0)
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
FROM judged_new
