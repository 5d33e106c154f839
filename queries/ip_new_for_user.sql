-- id: ip_new_for_user
-- title: Live session from a country new for the user
-- severity: medium
-- rationale: Users log in from a handful of places. A live session from a country none of the
--   user's recent logins came from is the commonest sign of a stolen password or session;
--   users without enough history are not judged, to keep new users and rare travellers quiet.
--   Countries are compared by ISO code. A Setup download names countries: a known name is read
--   as its code when loading; one that is not is compared only with names, so it cannot make a
--   session's code new.
-- remediation: Confirm with the user that the session is theirs; if not, end it and reset
--   the password. Add the user's VPN or travel ranges to trusted_networks.
-- knobs: ip_new_for_user.baseline, ip_new_for_user.min_history, ip_new_for_user.report_new_network, trusted_networks
-- removes: nothing (a new country is a question for the user, not proof)

-- A family's baseline is the baseline before its login time: [login_time -
-- baseline, login_time), its own login at that very moment left out. Only
-- the user's successful untrusted logins that can fall in some family's
-- baseline (from the user's earliest family's login time minus the baseline
-- to the latest's) are read, which keeps the work to a fraction of the
-- history.
--
-- Whether any of them came from the family's country (or network) is
-- answered without sorting them: each user's logins are cut into buckets one
-- baseline long, counted from the start of the user's span, and only the
-- earliest and latest login of each bucket per country (or network) is kept,
-- by hash aggregation. A baseline starts in some bucket k and ends within
-- bucket k + 1, so it holds a login of that country exactly when bucket k's
-- latest is at or after its start or bucket k + 1's earliest is before its
-- end: two look-ups per family, linear in logins and families however they
-- are spread over users. (Sorting the logins per user and country for
-- running counts took a second at ten million logins.)
--
-- Only a family whose country (or network) is new can be reported, and few
-- are: running counts over the logins of their users alone (each family
-- placed twice, as probes at the start and end of its baseline; probes sort
-- first among equal times) then give the numbers the detail quotes. Running
-- counts stay linear in a user's logins, where DuckDB's RANGE frames grow
-- faster than that on one user with many logins and families.
--
-- History is the baseline logins whose country is given the way the
-- family's is (has_iso: an ISO code, else a name); logins with the other kind
-- or no country at all are left out of it, and the detail says how many.
--
-- A family whose login is not in the history (a Setup download has no Ids
-- to match) is dated by its creation. Its own login, which a Setup download
-- gives to the minute, may then fall just before that and make its country
-- look known: such a family's baseline ends two minutes before its creation.
-- When some logins come from a Setup download, every family's baseline ends
-- two minutes before its login, since the download may hold a copy of that
-- login, to the minute, beside the API export that the family names.
--
-- A family without an IP has no network to vouch for it, so it is judged
-- like an untrusted one.
--
-- Users are numbered in spans and families in families, so that the
-- aggregations and sorts carry numbers rather than strings where they can; a
-- login's IP rides along only when networks are judged.
WITH families AS MATERIALIZED (
    SELECT
        *,
        row_number() OVER () AS family_no,
        CASE WHEN login_known AND NOT getvariable('logins_without_ids') THEN login_time
            ELSE login_time - INTERVAL 2 MINUTE END AS baseline_end
    FROM live_families
    WHERE NOT coalesce(trusted, false) AND country_key IS NOT NULL
), spans AS MATERIALIZED (
    SELECT
        user_key,
        row_number() OVER () AS user_no,
        min(baseline_end) - getvariable('ip_new_for_user.baseline') AS since,
        max(baseline_end) AS until
    FROM families
    GROUP BY user_key
), baseline AS (
    -- The baseline in microseconds; NULL (no bucket, no login in any
    -- baseline) were it ever shorter than one.
    SELECT nullif(epoch_us(TIMESTAMP '1970-01-01' + getvariable('ip_new_for_user.baseline')), 0) AS us
), probes AS (
    -- Each family with its baseline [starts, ends) and the bucket it starts in.
    SELECT
        p.user_no, f.family_no, f.country_key, f.has_iso, f.network,
        f.baseline_end - getvariable('ip_new_for_user.baseline') AS starts,
        f.baseline_end AS ends,
        (epoch_us(f.baseline_end - getvariable('ip_new_for_user.baseline')) - epoch_us(p.since)) // b.us AS bucket
    FROM families f
    JOIN spans p USING (user_key)
    CROSS JOIN baseline b
), span_logins AS MATERIALIZED (
    SELECT
        p.user_no, s.login_time AS t, s.country_key, s.has_iso,
        (epoch_us(s.login_time) - epoch_us(p.since)) // b.us AS bucket,
        CASE WHEN getvariable('ip_new_for_user.report_new_network') THEN s.source_ip END AS source_ip
    FROM untrusted_successes s
    JOIN spans p ON p.user_key = s.user_key AND s.login_time >= p.since AND s.login_time < p.until
    CROSS JOIN baseline b
), country_buckets AS (
    SELECT user_no, country_key, bucket, min(t) AS earliest, max(t) AS latest
    FROM span_logins
    WHERE country_key IS NOT NULL
    GROUP BY ALL
), network_buckets AS (
    -- Networks are judged only when new networks are reported. Every login
    -- here has an IP, and so a network; a family without one is not judged
    -- on networks at all (see new_families).
    SELECT s.user_no, i.network, s.bucket, min(s.t) AS earliest, max(s.t) AS latest
    FROM span_logins s
    LEFT JOIN ip_info i ON i.ip = s.source_ip
    WHERE getvariable('ip_new_for_user.report_new_network')
    GROUP BY ALL
), new_families AS (
    SELECT
        f.family_no, f.user_no,
        coalesce(c0.latest >= f.starts, false) OR coalesce(c1.earliest < f.ends, false) AS country_known,
        -- A family without an IP has no network to call new.
        CASE WHEN getvariable('ip_new_for_user.report_new_network') AND f.network IS NOT NULL THEN
            coalesce(n0.latest >= f.starts, false) OR coalesce(n1.earliest < f.ends, false) END AS network_known
    FROM probes f
    LEFT JOIN country_buckets c0
        ON c0.user_no = f.user_no AND c0.country_key = f.country_key AND c0.bucket = f.bucket
    LEFT JOIN country_buckets c1
        ON c1.user_no = f.user_no AND c1.country_key = f.country_key AND c1.bucket = f.bucket + 1
    LEFT JOIN network_buckets n0
        ON n0.user_no = f.user_no AND n0.network IS NOT DISTINCT FROM f.network AND n0.bucket = f.bucket
    LEFT JOIN network_buckets n1
        ON n1.user_no = f.user_no AND n1.network IS NOT DISTINCT FROM f.network AND n1.bucket = f.bucket + 1
    WHERE NOT country_known OR NOT network_known
), events AS MATERIALIZED (
    -- The logins of the users of new families, and those families' probes.
    SELECT s.user_no, s.t, 1 AS is_login, s.country_key, s.has_iso, NULL::BIGINT AS family_no, NULL::BOOLEAN AS is_end
    FROM span_logins s
    SEMI JOIN (SELECT DISTINCT user_no FROM new_families) USING (user_no)
    UNION ALL
    SELECT f.user_no, f.ends, 0, f.country_key, f.has_iso, f.family_no, true
    FROM probes f
    SEMI JOIN new_families USING (family_no)
    UNION ALL
    SELECT f.user_no, f.starts, 0, f.country_key, f.has_iso, f.family_no, false
    FROM probes f
    SEMI JOIN new_families USING (family_no)
), counted AS (
    SELECT
        family_no, is_end,
        sum(is_login) OVER by_user AS logins,
        sum(CASE WHEN is_login = 1 AND has_iso THEN 1 ELSE 0 END) OVER by_user AS with_iso,
        sum(CASE WHEN is_login = 1 AND country_key IS NOT NULL AND NOT has_iso THEN 1 ELSE 0 END) OVER by_user AS with_name,
        sum(is_login) OVER (PARTITION BY user_no, country_key ORDER BY t, is_login ROWS UNBOUNDED PRECEDING) AS from_country
    FROM events
    WINDOW by_user AS (PARTITION BY user_no ORDER BY t, is_login ROWS UNBOUNDED PRECEDING)
    QUALIFY family_no IS NOT NULL
), judged AS (
    SELECT
        f.*,
        CASE WHEN f.has_iso THEN e.with_iso - s.with_iso ELSE e.with_name - s.with_name END AS history,
        e.logins - s.logins AS logins,
        e.from_country - s.from_country AS from_country,
        NOT n.network_known AS new_network
    FROM families f
    JOIN new_families n USING (family_no)
    JOIN counted e ON e.family_no = f.family_no AND e.is_end
    JOIN counted s ON s.family_no = f.family_no AND NOT s.is_end
), judged_new AS (
    SELECT *, logins - history AS not_compared
    FROM judged
    -- A new country is judged on the logins whose country can be compared
    -- (history); a new network on all of the user's logins, which the
    -- network test looks at.
    WHERE (from_country = 0 AND history >= getvariable('ip_new_for_user.min_history'))
        OR (from_country > 0 AND new_network AND logins >= getvariable('ip_new_for_user.min_history'))
)
SELECT
    CASE WHEN from_country = 0 THEN 'medium' ELSE 'low' END AS severity,
    user_id,
    username,
    live_id AS session_id,
    source_ip,
    login_time AS observed_at,
    CASE WHEN from_country = 0 THEN
        printf('%s has a live %s session from %s (%s) since %s; %s%s.',
            user_name(username, user_id), coalesce(live_session_type, 'untyped'), place_name(city, country_iso, country), coalesce(source_ip, 'no IP'),
            fmt_time(login_time),
            -- min_history may be 0: then a user without history is judged too.
            CASE WHEN logins = 0 THEN printf('the user has no successful logins in the %s before it',
                    whole_duration(getvariable('ip_new_for_user.baseline')))
                WHEN history = 0 THEN printf('none of the user''s %s in the %s before it can be compared with it: %s',
                    count_unit(logins, 'successful login'), whole_duration(getvariable('ip_new_for_user.baseline')),
                    CASE WHEN has_iso THEN 'they have no country code' ELSE 'they have a country code or none' END)
                ELSE printf('none of the user''s %s in the %s before it came from %s',
                    count_unit(history, 'successful login'), whole_duration(getvariable('ip_new_for_user.baseline')), country_key) END,
            CASE WHEN not_compared > 0 AND history > 0 THEN printf(' (%s more, %s, could not be compared)', fmt_count(not_compared),
                CASE WHEN has_iso THEN 'without a country code' ELSE 'with a country code or none' END) ELSE '' END)
    ELSE
        printf('%s has a live %s session from %s (%s) since %s; none of the user''s %s in the %s before it came from network %s, though %s came from %s.',
            user_name(username, user_id), coalesce(live_session_type, 'untyped'), coalesce(source_ip, 'no IP'), place_name(city, country_iso, country),
            fmt_time(login_time), count_unit(logins, 'successful login'), whole_duration(getvariable('ip_new_for_user.baseline')), network,
            fmt_count(from_country), country_key)
    END AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM judged_new
