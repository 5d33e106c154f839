-- id: ip_shared_by_users
-- title: One IP used by many users
-- severity: medium
-- rationale: Many different users logging in successfully from one untrusted IP within a
--   short time points to a proxy, a relay or an attacker replaying harvested credentials;
--   an office or VPN egress that does this belongs in trusted_networks.
-- remediation: Find out what the IP is; if it is yours, add it to trusted_networks, otherwise
--   end the sessions from it and reset the users' passwords.
-- knobs: ip_shared_by_users.min_users, ip_shared_by_users.window, trusted_networks
-- removes: nothing (the IP may be a proxy or egress to trust)

-- A login belongs to a burst when some window of the given length that holds
-- it has logins of at least min_users users; consecutive such logins of one
-- IP, none more than a window after the one before, form one burst and one
-- finding. Only IPs with min_users users in the
-- whole history can have such a window, so the rest run on their logins
-- alone; names are looked up for the logins of a burst.
--
-- The users in the window ending at a login are counted without a RANGE
-- frame, which DuckDB evaluates in more than linear time on one IP's many
-- logins: each user's logins from the IP make spells, a login starting a new
-- one when it comes more than a window after the user's previous login, and
-- a spell covers the ends of windows from its first login to a window after
-- its last. The users in a window are the spells covering its end, a running
-- sum of spells begun less spells ended.
--
-- Every window is partitioned by IP. Taken over all IPs in one order, the
-- running sums were faster when one IP had most of the logins, but DuckDB
-- then holds all the rows in memory at once: at fifty million logins with an
-- untrusted VPN address that nearly every user shares, that ran out of
-- memory. Per IP, a window holds one IP's logins.
--
-- Logins at the same moment are ordered by rowid: whether a login is in a
-- burst depends on its moment alone, so their order changes nothing, and the
-- Ids need not be read.
WITH shared AS (
    SELECT source_ip
    FROM untrusted_successes
    GROUP BY source_ip
    HAVING count(DISTINCT user_key) >= getvariable('ip_shared_by_users.min_users')
), candidates AS (
    SELECT s.login_row, s.user_key, s.login_time, s.source_ip
    FROM untrusted_successes s
    SEMI JOIN shared USING (source_ip)
), spells AS (
    SELECT source_ip, min(login_time) AS first_login, max(login_time) AS last_login
    FROM (
        SELECT *, sum(CASE WHEN starts THEN 1 ELSE 0 END) OVER (PARTITION BY source_ip ORDER BY user_key, login_time, login_row
            ROWS UNBOUNDED PRECEDING) AS spell
        FROM (
            SELECT *, coalesce(login_time - lag(login_time) OVER (PARTITION BY source_ip, user_key ORDER BY login_time, login_row)
                > getvariable('ip_shared_by_users.window'), true) AS starts
            FROM candidates
        )
    )
    GROUP BY source_ip, spell
), counted AS (
    -- Spells begin before and end after the logins at the same moment.
    SELECT * FROM (
        SELECT
            *,
            sum(delta) OVER (PARTITION BY source_ip ORDER BY t, step ROWS UNBOUNDED PRECEDING) AS users_in_window
        FROM (
            SELECT source_ip, first_login AS t, 0 AS step, 1 AS delta, NULL AS login_row, NULL AS user_key
            FROM spells
            UNION ALL
            SELECT source_ip, last_login + getvariable('ip_shared_by_users.window'), 2, -1, NULL, NULL
            FROM spells
            UNION ALL
            SELECT source_ip, login_time, 1, 0, login_row, user_key
            FROM candidates
        )
    )
    WHERE step = 1
), marked AS (
    -- A login is in a burst when a window ending at its time or within the
    -- window after it holds min_users users. The earliest such window end at
    -- or after it is a running minimum, taken from the IP's last login
    -- backwards.
    SELECT
        login_row, user_key, t AS login_time, source_ip, users_in_window,
        coalesce(next_full <= t + getvariable('ip_shared_by_users.window'), false) AS in_burst
    FROM (
        SELECT
            *,
            min(CASE WHEN users_in_window >= getvariable('ip_shared_by_users.min_users') THEN t END)
                OVER (PARTITION BY source_ip ORDER BY t DESC, login_row DESC ROWS UNBOUNDED PRECEDING) AS next_full
        FROM counted
    )
), numbered AS (
    -- A burst begins at a login in a burst after one that is not, or after
    -- one more than a window earlier: no window holds both.
    SELECT
        *,
        sum(CASE WHEN in_burst AND (NOT coalesce(prev_in_burst, false)
                OR login_time - prev_time > getvariable('ip_shared_by_users.window')) THEN 1 ELSE 0 END)
            OVER (PARTITION BY source_ip ORDER BY login_time, login_row ROWS UNBOUNDED PRECEDING) AS burst
    FROM (
        SELECT
            *,
            lag(in_burst) OVER w AS prev_in_burst,
            lag(login_time) OVER w AS prev_time
        FROM marked
        WINDOW w AS (PARTITION BY source_ip ORDER BY login_time, login_row))
), in_bursts AS (
    SELECT source_ip, burst, user_key, login_time, users_in_window
    FROM numbered
    WHERE in_burst
), bursts AS (
    SELECT
        source_ip,
        burst,
        max(users_in_window) AS most_in_window,
        min(login_time) AS first_login,
        max(login_time) AS last_login,
    FROM in_bursts
    GROUP BY source_ip, burst
), burst_users AS (
    -- A burst can hold millions of logins (an untrusted VPN address that
    -- everyone uses): its users are counted and named from one row per user,
    -- and only the first names are kept (25, in order), since an aggregate that sorts
    -- or de-duplicates holds all of a group's values in memory at once. A
    -- user without a username is named by user_key, which is then the Id.
    SELECT b.source_ip, b.burst, count(*) AS users, min(coalesce(u.username, b.user_key), 25) AS first_names
    FROM (SELECT DISTINCT source_ip, burst, user_key FROM in_bursts) b
    LEFT JOIN usernames u USING (user_key)
    GROUP BY b.source_ip, b.burst
)
SELECT
    'medium' AS severity,
    NULL::VARCHAR AS user_id,
    NULL::VARCHAR AS username,
    NULL::VARCHAR AS session_id,
    source_ip,
    first_login AS observed_at, -- as a burst of failed_login_burst: when it began
    printf('%s different users logged in successfully from %s %s, up to %s within %s: %s.',
        fmt_count(users), source_ip, fmt_span(first_login, last_login), fmt_count(most_in_window),
        whole_duration(getvariable('ip_shared_by_users.window')), few_of(first_names, users)) AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM bursts
JOIN burst_users USING (source_ip, burst)
