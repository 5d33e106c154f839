package analyze

import (
	"context"
	"testing"

	"github.com/sessionaudit/sessionaudit/ingest"
)

// BenchmarkRun audits a synthetic org: 5,000 users, 500,000 logins over six
// months from 50,000 IPs, and 100,000 sessions. It shows that no check grows
// quadratically with a user's logins.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	db, err := ingest.Open(ctx, ingest.DBOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	mustExec(b, db, `INSERT INTO logins (id, user_id, username, user_key, login_time, source_ip, status, success,
		country_iso, latitude, longitude, src_file, src_line)
		SELECT printf('0Ya%015d', i), printf('005%015d', i % 5000), printf('u%d@acme.com', i % 5000), printf('005%015d', i % 5000),
			TIMESTAMP '2026-11-26 12:00:00' - to_seconds((i * 31) % (180 * 86400)),
			printf('10.%d.%d.%d', (i * 7) % 50000 // 65536, ((i * 7) % 50000 // 256) % 256, (i * 7) % 256),
			CASE WHEN i % 13 = 0 THEN 'Invalid Password' ELSE 'Success' END, i % 13 <> 0,
			['FR', 'GB', 'US', 'AU'][1 + (i * 7) % 50000 % 4], ((i * 7) % 50000 % 180) - 90.0, ((i * 7) % 50000 % 360) - 180.0,
			'logins.csv', i
		FROM range(500000) t(i)`)
	mustExec(b, db, `INSERT INTO sessions (id, user_id, username, user_key, created, last_modified, num_seconds_valid, expires,
		source_ip, session_type, parent_id, login_history_id, is_current, country_iso, latitude, longitude, src_file, src_line)
		SELECT printf('0Ak%015d', i), printf('005%015d', i % 5000), printf('u%d@acme.com', i % 5000), printf('005%015d', i % 5000),
			TIMESTAMP '2026-11-26 12:00:00' - to_seconds(i % 86400), TIMESTAMP '2026-11-26 11:00:00', 7200,
			TIMESTAMP '2026-11-26 13:00:00',
			printf('10.%d.%d.%d', (i * 7) % 50000 // 65536, ((i * 7) % 50000 // 256) % 256, (i * 7) % 256),
			['UI', 'Content', 'Oauth2'][1 + i % 3], printf('0Ak%015d', i - i % 3), printf('0Ya%015d', i * 5), false,
			['FR', 'GB', 'US', 'AU'][1 + (i * 7) % 50000 % 4], ((i * 7) % 50000 % 180) - 90.0, ((i * 7) % 50000 % 360) - 180.0,
			'sessions.csv', i
		FROM range(100000) t(i)`)
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(ctx, db, DefaultPolicy(), asOf)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Findings()), "findings")
		b.ReportMetric(float64(res.Removals), "removals")
	}
}
