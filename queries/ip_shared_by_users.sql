-- id: ip_shared_by_users
-- title: One IP used by many users
-- severity: medium
-- rationale: Many different users logging in successfully from one untrusted IP within a
--   short time points to a proxy, a relay or an attacker replaying harvested credentials;
--   an office or VPN egress that does this belongs in trusted_networks.
-- remediation: Find out what the IP is; if it is yours, add it to trusted_networks, otherwise
--   end the sessions from it and reset the users' passwords.
-- knobs: ip_shared_by_users.min_users, ip_shared_by_users.window, trusted_networks

-- A login belongs to a burst when some window of the given length that holds
-- it has logins of at least min_users users; consecutive such logins of one
-- IP form one burst and one finding. Only IPs with min_users users in the
-- whole history can have such a window, so the windows run on their logins
-- alone; names are looked up for the logins of a burst.
WITH shared AS (
    SELECT source_ip
    FROM untrusted_successes
    GROUP BY source_ip
    HAVING count(DISTINCT user_key) >= getvariable('ip_shared_by_users.min_users')
), candidates AS (
    SELECT s.login_row, s.id, s.user_key, s.login_time, s.source_ip
    FROM untrusted_successes s
    SEMI JOIN shared USING (source_ip)
), counted AS (
    SELECT
        *,
        count(DISTINCT user_key) OVER (PARTITION BY source_ip ORDER BY login_time
            RANGE BETWEEN getvariable('ip_shared_by_users.window') PRECEDING AND CURRENT ROW) AS users_in_window
    FROM candidates
), marked AS (
    SELECT
        *,
        max(users_in_window) OVER (PARTITION BY source_ip ORDER BY login_time
            RANGE BETWEEN CURRENT ROW AND getvariable('ip_shared_by_users.window') FOLLOWING)
            >= getvariable('ip_shared_by_users.min_users') AS in_burst
    FROM counted
), numbered AS (
    SELECT
        *,
        sum(CASE WHEN in_burst AND NOT coalesce(prev_in_burst, false) THEN 1 ELSE 0 END)
            OVER (PARTITION BY source_ip ORDER BY login_time, id ROWS UNBOUNDED PRECEDING) AS burst
    FROM (SELECT *, lag(in_burst) OVER (PARTITION BY source_ip ORDER BY login_time, id) AS prev_in_burst FROM marked)
), bursts AS (
    SELECT
        n.source_ip,
        n.burst,
        count(DISTINCT n.user_key) AS users,
        max(n.users_in_window) AS most_in_window,
        min(n.login_time) AS first_login,
        max(n.login_time) AS last_login,
        min(n.login_time) FILTER (WHERE n.users_in_window >= getvariable('ip_shared_by_users.min_users')) AS reached,
        list(DISTINCT user_name(l.username, l.user_id) ORDER BY user_name(l.username, l.user_id)) AS names
    FROM numbered n
    JOIN logins l ON l.rowid = n.login_row
    WHERE n.in_burst
    GROUP BY n.source_ip, n.burst
)
SELECT
    'medium' AS severity,
    NULL::VARCHAR AS user_id,
    NULL::VARCHAR AS username,
    NULL::VARCHAR AS session_id,
    source_ip,
    reached AS observed_at,
    printf('%s different users logged in successfully from %s %s, up to %s within %s: %s.',
        fmt_count(users), source_ip, fmt_span(first_login, last_login), fmt_count(most_in_window),
        human_duration(getvariable('ip_shared_by_users.window')), few(names, 5)) AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM bursts
