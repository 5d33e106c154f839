-- id: token_over_rotation
-- title: Token session older than its rotation limit
-- severity: low
-- rationale: API and OAuth sessions of integrations live long by design, but a token that
--   is never rotated keeps working for whoever copied it. Rotation bounds how long a leaked
--   token is useful.
-- remediation: Rotate the integration's credentials or refresh token, then end the old session.
-- knobs: token_types, token_max_age, token_max_age_by_user
-- removes: nothing (a token past rotation is the integration's to rotate)

-- Tokens are never judged by session_max_age; a per-user limit (by Id first,
-- then username) replaces token_max_age.
WITH judged AS (
    SELECT
        s.*,
        coalesce(by_id.max_age, by_name.max_age) AS user_max_age,
        coalesce(by_id.max_age, by_name.max_age, getvariable('token_max_age')) AS max_age
    FROM sessions s
    LEFT JOIN policy_token_max_age_by_user by_id ON lower(by_id.user_id) = lower(s.user_id)
    LEFT JOIN policy_token_max_age_by_user by_name ON by_name.username = lower(s.username)
    WHERE is_live(s.expires)
        AND lower(s.session_type) IN (SELECT session_type FROM policy_token_types)
        -- A UI login's companion API session is session_over_age's.
        AND s.id NOT IN (SELECT id FROM live_companions)
)
SELECT
    'low' AS severity,
    user_id,
    username,
    id AS session_id,
    source_ip,
    created AS observed_at,
    printf('%s session of %s from %s, created %s, has been valid for %s; %s should be rotated within %s.',
        session_type, user_name(username, user_id), coalesce(source_ip, 'an unknown IP'), fmt_time(created),
        past_limit(getvariable('as_of') - created, max_age),
        CASE WHEN user_max_age IS NULL THEN 'tokens' ELSE 'this user''s tokens' END,
        whole_duration(max_age)) AS detail,
    NULL::VARCHAR AS target_kind,
    NULL::VARCHAR AS target_id
FROM judged
WHERE created < getvariable('as_of') - max_age
