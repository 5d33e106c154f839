-- id: ip_denied
-- title: Session or login from a denied network
-- severity: high
-- rationale: The policy lists networks no user should come from (known attacker ranges,
--   anonymising relays, sanctioned regions). A live session from one is in use by whoever
--   holds that network; a login from one, even a failed one, shows someone trying.
-- remediation: End the session, reset the user's password and freeze the user until the
--   access is explained; consider a login IP range restriction on the profile.
-- knobs: denied_networks, denied_networks_file
-- removes: the session

SELECT
    'high' AS severity,
    s.user_id,
    s.username,
    s.id AS session_id,
    s.source_ip,
    s.created AS observed_at,
    printf('Live %s session of %s from %s, created %s, comes from denied network %s.',
        coalesce(s.session_type, 'untyped'), user_name(s.username, s.user_id), s.source_ip,
        fmt_time(s.created), i.denied_by) AS detail,
    'session' AS target_kind,
    s.id AS target_id
FROM sessions s
JOIN ip_info i ON i.ip = s.source_ip
WHERE i.denied AND is_live(s.expires)
UNION ALL
SELECT
    'high',
    l.user_id,
    u.username,
    NULL,
    l.source_ip,
    l.login_time,
    printf('%s of %s from %s at %s comes from denied network %s.',
        CASE WHEN l.success THEN 'Successful login' ELSE 'Failed login (' || l.status || ')' END,
        user_name(u.username, l.user_id), l.source_ip, fmt_time(l.login_time), i.denied_by),
    NULL,
    NULL
FROM logins l
JOIN ip_info i ON i.ip = l.source_ip
LEFT JOIN usernames u ON u.user_key = l.user_key
WHERE i.denied
