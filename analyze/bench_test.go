package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	mustExec(b, db, `INSERT INTO logins (id, user_id, user_key, login_time, source_ip, status, success,
		country_iso, latitude, longitude, src_file)
		SELECT printf('0Ya%015d', i), printf('005%015d', i % 5000), printf('005%015d', i % 5000),
			TIMESTAMP '2026-11-26 12:00:00' - to_seconds((i * 31) % (180 * 86400)),
			printf('10.%d.%d.%d', (i * 7) % 50000 // 65536, ((i * 7) % 50000 // 256) % 256, (i * 7) % 256),
			CASE WHEN i % 13 = 0 THEN 'Invalid Password' ELSE 'Success' END, i % 13 <> 0,
			['FR', 'GB', 'US', 'AU'][1 + (i * 7) % 50000 % 4], ((i * 7) % 50000 % 180) - 90.0, ((i * 7) % 50000 % 360) - 180.0,
			1
		FROM range(500000) t(i)`)
	mustExec(b, db, `INSERT INTO sessions (id, user_id, username, user_key, created, last_modified, num_seconds_valid, expires,
		source_ip, session_type, parent_id, login_history_id, is_current, country_iso, latitude, longitude, src_file)
		SELECT printf('0Ak%015d', i), printf('005%015d', i % 5000), printf('u%d@acme.com', i % 5000), printf('005%015d', i % 5000),
			TIMESTAMP '2026-11-26 12:00:00' - to_seconds(i % 86400), TIMESTAMP '2026-11-26 11:00:00', 7200,
			TIMESTAMP '2026-11-26 13:00:00',
			printf('10.%d.%d.%d', (i * 7) % 50000 // 65536, ((i * 7) % 50000 // 256) % 256, (i * 7) % 256),
			['UI', 'Content', 'Oauth2'][1 + i % 3], printf('0Ak%015d', i - i % 3), printf('0Ya%015d', i * 5), false,
			['FR', 'GB', 'US', 'AU'][1 + (i * 7) % 50000 % 4], ((i * 7) % 50000 % 180) - 90.0, ((i * 7) % 50000 % 360) - 180.0,
			0
		FROM range(100000) t(i)`)
	benchmarkRun(b, db)
}

// BenchmarkRunSkewed audits orgs where one user holds half the logins and
// 2,000 live session families, and one IP a quarter of the logins for 5,000
// users, at two sizes: a check that grows faster than its input on one user
// or one IP (a RANGE frame, a join within a user) shows as more than twice
// the time at twice the logins. With RANGE frames, ip_new_for_user took 47 s
// on such an org of a million logins with 10,000 families; it takes 0.8 s.
func BenchmarkRunSkewed(b *testing.B) {
	for _, n := range []int{250_000, 500_000} {
		b.Run(fmt.Sprintf("logins=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, err := ingest.Open(ctx, ingest.DBOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			mustExec(b, db, fmt.Sprintf(`INSERT INTO logins (id, user_id, user_key, login_time, source_ip,
				status, success, country_iso, latitude, longitude, src_file)
				SELECT printf('0Ya%%015d', i), uk, uk, TIMESTAMP '2026-11-26 12:00:00' - to_seconds((i * 7919) %% (180 * 86400)), ip,
					CASE WHEN i %% 13 = 0 THEN 'Invalid Password' ELSE 'Success' END, i %% 13 <> 0,
					['FR', 'GB', 'US', 'AU'][1 + (hash(uk) %% 4)::BIGINT], (hash(uk) %% 180)::DOUBLE - 90, (hash(uk) %% 360)::DOUBLE - 180,
					1
				FROM (SELECT i,
					CASE WHEN i %% 4 < 2 THEN '005000000000000U00' ELSE printf('005%%015d', i %% 5000) END AS uk,
					CASE WHEN i %% 4 = 2 THEN '10.200.0.1' WHEN i %% 4 = 0 THEN printf('10.1.%%d.%%d', i %% 7, i %% 251)
						ELSE printf('10.%%d.%%d.%%d', (i * 7) %% 50000 // 65536 + 2, ((i * 7) %% 50000 // 256) %% 256, (i * 7) %% 256) END AS ip
					FROM range(%d) t(i))`, n))
			mustExec(b, db, fmt.Sprintf(`INSERT INTO sessions (id, user_id, username, user_key, created, last_modified,
				num_seconds_valid, expires, source_ip, session_type, parent_id, login_history_id, is_current,
				country_iso, latitude, longitude, src_file)
				SELECT printf('0Ak%%015d', i), uk, uk, uk, TIMESTAMP '2026-11-26 12:00:00' - to_seconds(i %% 86400),
					TIMESTAMP '2026-11-26 11:00:00', 7200, TIMESTAMP '2026-11-26 13:00:00',
					printf('10.%%d.%%d.%%d', i // 65536 + 100, (i // 256) %% 256, i %% 256), 'UI', printf('0Ak%%015d', i),
					printf('0Ya%%015d', i * 5), false,
					['FR', 'GB', 'US', 'AU'][1 + (hash(uk) %% 4)::BIGINT], (hash(uk) %% 180)::DOUBLE - 90, (hash(uk) %% 360)::DOUBLE - 180,
					0
				FROM (SELECT i, CASE WHEN i < 2000 THEN '005000000000000U00' ELSE printf('005%%015d', i %% 5000) END AS uk
					FROM range(%d) t(i))`, n/10))
			benchmarkRun(b, db)
		})
	}
}

// benchmarkRun audits db with the default policy and reports the findings,
// the removals and each check's seconds.
func benchmarkRun(b *testing.B, db *sql.DB) {
	ctx := context.Background()
	listSourceIPs(b, db)
	listCoverage(b, db)
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(ctx, db, DefaultPolicy(), asOf)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.AtLeast(Info)), "findings")
		b.ReportMetric(float64(res.Removals), "removals")
		for _, s := range res.Steps {
			if !strings.Contains(s.Name, " ") {
				b.ReportMetric(s.Elapsed.Seconds(), s.Name+"-s")
			}
		}
	}
}
