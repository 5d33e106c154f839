-- id: failed_login_burst
-- title: Burst of failed logins
-- severity: medium
-- rationale: Many failed logins for one user, or from one IP, in a few minutes is password
--   guessing or spraying. A success from the same IP for the same user during or right after
--   the burst means the guessing probably worked.
-- remediation: When a success came during or after the burst, end its sessions, reset the password and freeze the
--   user until it is explained; otherwise block the IP and watch the users.
-- knobs: failed_login_burst.min_failures, failed_login_burst.window, failed_login_burst.success_within, trusted_networks
-- removes: the families the successes created

-- Failures are counted per user (from any IP) and per untrusted IP. A failure
-- belongs to a burst when some window holding it has min_failures failures;
-- consecutive such failures, none more than a window after the one before,
-- form one burst and one finding. A success of one of the burst's users
-- from one of its IPs from the burst's first failure to success_within
-- after its last raises it to high: a spray goes on after a guess works, so
-- a success in the middle of the burst counts as much as one after it. The
-- first such success is the one the detail tells of; every one of them is
-- a removal target (a 'login' target listing their Ids), since each other
-- user a spray got into, and each later login of a guessed password, is as
-- likely the intruder's.
-- A user or IP with fewer than min_failures failures in all can hold no
-- burst, so the windows run on the others' failures alone, carrying only
-- what they compare; statuses and names are looked up for the failures of a
-- burst. Failures at the same moment are ordered by rowid: whether a failure
-- is in a burst depends on its moment alone (see counted), so their order
-- changes nothing.
WITH failed AS (
    SELECT rowid AS login_row, user_key, login_time, source_ip
    FROM logins
    WHERE NOT success
), keyed AS (
    SELECT 'user' AS burst_by, user_key AS burst_key, * FROM failed
    UNION ALL
    SELECT 'ip', source_ip, *
    FROM failed
    WHERE source_ip IS NOT NULL AND source_ip NOT IN (SELECT ip FROM ip_info WHERE trusted)
), failures AS (
    SELECT * FROM keyed
    SEMI JOIN (
        SELECT burst_by, burst_key FROM keyed GROUP BY ALL
        HAVING count(*) >= getvariable('failed_login_burst.min_failures')
    ) USING (burst_by, burst_key)
), counted AS (
    -- The failures from min_failures - 1 rows back to this one span at most
    -- the window exactly when the window ending at this failure's time
    -- holds min_failures failures; the last of the failures at one time
    -- decides for that time.
    SELECT
        *,
        login_time - lag(login_time, getvariable('failed_login_burst.min_failures') - 1)
            OVER (PARTITION BY burst_by, burst_key ORDER BY login_time, login_row)
            <= getvariable('failed_login_burst.window') AS window_full
    FROM failures
), marked AS (
    -- A failure is in a burst when a full window ends at its time or within
    -- the window after it. The earliest full window ending at or after it is
    -- a running minimum, taken from the key's last failure backwards. (Taken
    -- over all keys in one order, it was faster on one key's many failures,
    -- but DuckDB then holds all the failures in memory at once.)
    SELECT
        *,
        coalesce(next_full <= login_time + getvariable('failed_login_burst.window'), false) AS in_burst
    FROM (
        SELECT
            *,
            min(CASE WHEN window_full THEN login_time END)
                OVER (PARTITION BY burst_by, burst_key ORDER BY login_time DESC, login_row DESC ROWS UNBOUNDED PRECEDING) AS next_full
        FROM counted
    )
), numbered AS (
    -- A burst begins at a failure in a burst after one that is not, or
    -- after one more than a window earlier: no window holds both, so a
    -- quiet spell between them ends the first burst.
    SELECT
        *,
        sum(CASE WHEN in_burst AND (NOT coalesce(prev_in_burst, false)
                OR login_time - prev_time > getvariable('failed_login_burst.window')) THEN 1 ELSE 0 END)
            OVER (PARTITION BY burst_by, burst_key ORDER BY login_time, login_row ROWS UNBOUNDED PRECEDING) AS burst
    FROM (
        SELECT
            *,
            lag(in_burst) OVER w AS prev_in_burst,
            lag(login_time) OVER w AS prev_time
        FROM marked
        WINDOW w AS (PARTITION BY burst_by, burst_key ORDER BY login_time, login_row))
    QUALIFY in_burst
), looked_up AS MATERIALIZED (
    SELECT l.rowid AS login_row, l.status, l.user_id, u.username
    FROM logins l
    LEFT JOIN usernames u USING (user_key)
    WHERE l.rowid IN (SELECT login_row FROM numbered)
), statuses AS (
    SELECT burst_by, burst_key, burst, string_agg(status || ' (' || n || ')', ', ' ORDER BY n DESC, status) AS statuses
    FROM (SELECT n.burst_by, n.burst_key, n.burst, l.status, count(*) AS n FROM numbered n JOIN looked_up l USING (login_row) GROUP BY ALL)
    GROUP BY ALL
), bursts AS (
    SELECT
        n.burst_by, n.burst_key, n.burst,
        count(*) AS failures,
        min(n.login_time) AS first_failure,
        max(n.login_time) AS last_failure,
        arg_min(l.user_id, n.login_time) AS user_id,
        arg_min(l.username, n.login_time) AS username
    FROM numbered n
    JOIN looked_up l USING (login_row)
    GROUP BY n.burst_by, n.burst_key, n.burst
), burst_users AS (
    -- A burst can hold millions of failures (a spray from one address): its
    -- users and IPs are counted and named from one row each, and only the
    -- first few are kept, since an aggregate that sorts or de-duplicates
    -- holds all of a group's values in memory at once.
    SELECT burst_by, burst_key, burst, count(*) AS users, min(name, 3) AS names, min(user_key) AS a_user
    FROM (
        SELECT DISTINCT n.burst_by, n.burst_key, n.burst, n.user_key, user_name(l.username, l.user_id) AS name
        FROM numbered n
        JOIN looked_up l USING (login_row))
    GROUP BY ALL
), burst_ips AS (
    SELECT burst_by, burst_key, burst, count(*) AS ip_count, min(source_ip, 3) AS ips,
        bool_or(source_ip IN (SELECT ip FROM ip_info WHERE trusted)) AS any_trusted
    FROM (SELECT DISTINCT burst_by, burst_key, burst, source_ip FROM numbered WHERE source_ip IS NOT NULL)
    GROUP BY ALL
), successes AS (
    -- A trusted network vouches for the success: a user who mistypes a
    -- password ten times at the office and then gets it right is not worth
    -- ending the session for (the burst is still reported, and says so).
    -- A success from an untrusted IP raises the burst; the first from a
    -- trusted one is only told.
    SELECT
        b.burst_by, b.burst_key, b.burst,
        arg_min(l.id, (l.login_time, l.id)) FILTER (WHERE NOT l.trusted) AS login_id,
        arg_min(l.login_time, (l.login_time, l.id)) FILTER (WHERE NOT l.trusted) AS login_time,
        arg_min(l.source_ip, (l.login_time, l.id)) FILTER (WHERE NOT l.trusted) AS source_ip,
        arg_min(l.user_id, (l.login_time, l.id)) FILTER (WHERE NOT l.trusted) AS user_id,
        arg_min(u.username, (l.login_time, l.id)) FILTER (WHERE NOT l.trusted) AS username,
        count(*) FILTER (WHERE NOT l.trusted) AS success_count,
        max(l.login_time) FILTER (WHERE NOT l.trusted) AS last_success,
        list(l.id ORDER BY l.login_time, l.id) FILTER (WHERE NOT l.trusted) AS login_ids,
        count(DISTINCT l.user_key) FILTER (WHERE NOT l.trusted) AS success_users,
        list_sort(list(DISTINCT user_name(u.username, l.user_id)) FILTER (WHERE NOT l.trusted)) AS success_names,
        arg_min(l.id, (l.login_time, l.id)) FILTER (WHERE l.trusted) AS trusted_id,
        arg_min(l.login_time, (l.login_time, l.id)) FILTER (WHERE l.trusted) AS trusted_time,
        arg_min(l.source_ip, (l.login_time, l.id)) FILTER (WHERE l.trusted) AS trusted_ip,
        arg_min(user_name(u.username, l.user_id), (l.login_time, l.id)) FILTER (WHERE l.trusted) AS trusted_user
    FROM (SELECT DISTINCT burst_by, burst_key, burst, user_key, source_ip FROM numbered) pair
    JOIN bursts b USING (burst_by, burst_key, burst)
    JOIN (SELECT *, source_ip IN (SELECT ip FROM ip_info WHERE trusted) AS trusted FROM logins WHERE success) l
        ON l.user_key = pair.user_key AND l.source_ip = pair.source_ip
        -- At the same moment counts, and for a Setup download's success,
        -- which gives times to the minute, the same minute.
        AND l.login_time >= CASE WHEN starts_with(l.id, 'row:') THEN date_trunc('minute', b.first_failure) ELSE b.first_failure END
        AND l.login_time <= b.last_failure + getvariable('failed_login_burst.success_within')
    LEFT JOIN usernames u ON u.user_key = l.user_key
    GROUP BY ALL
)
SELECT
    CASE WHEN s.login_id IS NULL THEN 'medium' ELSE 'high' END AS severity,
    CASE WHEN s.login_id IS NOT NULL THEN s.user_id WHEN u.users = 1 THEN b.user_id END AS user_id,
    CASE WHEN s.login_id IS NOT NULL THEN s.username WHEN u.users = 1 THEN b.username END AS username,
    coalesce(ls.session_id, later.session_id) AS session_id,
    CASE WHEN b.burst_by = 'ip' THEN b.burst_key WHEN s.login_id IS NOT NULL THEN s.source_ip WHEN i.ip_count = 1 THEN i.ips[1] END AS source_ip,
    b.first_failure AS observed_at,
    CASE WHEN b.burst_by = 'user' THEN
        printf('%s for %s %s from %s: %s; ',
            count_unit(b.failures, 'failed login'), u.names[1], fmt_span(b.first_failure, b.last_failure),
            coalesce(few_of(i.ips, i.ip_count), 'no recorded IP'), st.statuses)
    ELSE
        printf('%s from %s %s for %s %s (%s): %s; ',
            count_unit(b.failures, 'failed login'), b.burst_key, fmt_span(b.first_failure, b.last_failure),
            fmt_count(u.users), CASE WHEN u.users = 1 THEN 'user' ELSE 'users' END, few_of(u.names, u.users), st.statuses)
    END || CASE WHEN s.login_id IS NULL AND s.trusted_time IS NOT NULL THEN
        printf('then %s logged in successfully from %s at %s, %s, but that IP is in trusted_networks, which vouches for the login.',
            s.trusted_user, s.trusted_ip, fmt_time_after(s.trusted_time, b.last_failure),
            success_moment(s.trusted_time, b.first_failure, b.last_failure, starts_with(s.trusted_id, 'row:')))
    WHEN s.login_id IS NULL THEN
        printf('no successful login of %s from %s followed within %s%s.',
            CASE WHEN b.burst_by = 'user' OR u.users = 1 THEN 'that user' ELSE 'those users' END,
            CASE WHEN b.burst_by = 'ip' OR i.ip_count = 1 THEN 'that IP'
                WHEN i.ip_count IS NULL THEN 'a recorded IP' ELSE 'those IPs' END,
            whole_duration(getvariable('failed_login_burst.success_within')),
            CASE WHEN i.any_trusted THEN ' (successes from trusted networks do not count)' ELSE '' END)
    ELSE
        printf('then %s logged in successfully from %s at %s, %s%s.',
            user_name(s.username, s.user_id), s.source_ip, fmt_time_after(s.login_time, b.last_failure),
            success_moment(s.login_time, b.first_failure, b.last_failure, starts_with(s.login_id, 'row:')),
            CASE WHEN s.success_count > 1 THEN
                CASE WHEN s.success_count = 2 THEN '; 1 more success followed at ' || fmt_time_after(s.last_success, s.login_time)
                    ELSE printf('; %s more successes followed, the last at %s', fmt_count(s.success_count - 1), fmt_time_after(s.last_success, s.login_time)) END
                || CASE WHEN s.success_users > 1 THEN ' (users who logged in: ' || few_of(s.success_names[1:3], s.success_users) || ')' ELSE '' END
            ELSE '' END)
    END AS detail,
    CASE WHEN s.login_id IS NOT NULL THEN 'login' END AS target_kind,
    array_to_string(s.login_ids, ' ') AS target_id
FROM bursts b
JOIN statuses st USING (burst_by, burst_key, burst)
JOIN burst_users u USING (burst_by, burst_key, burst)
LEFT JOIN burst_ips i USING (burst_by, burst_key, burst)
LEFT JOIN successes s USING (burst_by, burst_key, burst)
LEFT JOIN live_session_of_login ls ON ls.login_history_id = s.login_id
-- When the first success began no live session, the live one with the
-- lowest Id that a later success named (the finding's target reaches them
-- all).
LEFT JOIN (
    SELECT x.burst_by, x.burst_key, x.burst, min(l.session_id) AS session_id
    FROM (SELECT burst_by, burst_key, burst, unnest(login_ids) AS login_id FROM successes) x
    JOIN live_session_of_login l ON l.login_history_id = x.login_id
    GROUP BY ALL
) later USING (burst_by, burst_key, burst)
-- A burst from one IP of one user's failures, each of which is also a
-- burst of that user's (the same failures: as many, from the same first to
-- the same last), would be the same finding twice: only the user's stands,
-- which names the IP.
WHERE NOT (b.burst_by = 'ip' AND u.users = 1 AND EXISTS (
    SELECT 1 FROM bursts ub
    WHERE ub.burst_by = 'user' AND ub.burst_key = u.a_user AND ub.failures = b.failures
        AND ub.first_failure = b.first_failure AND ub.last_failure = b.last_failure))
