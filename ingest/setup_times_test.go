package ingest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// setupForm is one way a Setup download writes a login's time: its locale,
// whether its dates are day first, and how it writes a time.
type setupForm struct {
	locale   string
	dayFirst bool
	format   func(t time.Time) string
}

// ampm writes t's hour on a 12-hour clock (12 for noon and midnight) with
// the words am and pm of a locale.
func ampm(t time.Time, am, pm string) (hour int, word string) {
	hour, word = t.Hour()%12, am
	if hour == 0 {
		hour = 12
	}
	if t.Hour() >= 12 {
		word = pm
	}
	return hour, word
}

// setupForms are the forms README's Inputs item 3 says load: one per
// locale family, written here from their patterns rather than copied from
// the macro's regular expressions.
var setupForms = []setupForm{
	{"en_US", false, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%d/%d/%d %d:%02d %s", t.Month(), t.Day(), t.Year(), h, t.Minute(), w)
	}},
	{"en_US, Excel re-saved", false, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%d/%d/%02d %d:%02d %s", t.Month(), t.Day(), t.Year()%100, h, t.Minute(), w)
	}},
	{"en_US with seconds", false, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%d/%d/%d, %d:%02d:%02d %s", t.Month(), t.Day(), t.Year(), h, t.Minute(), t.Second(), w)
	}},
	{"es_PR", false, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%02d-%02d-%d %02d:%02d %s", t.Month(), t.Day(), t.Year(), h, t.Minute(), w)
	}},
	{"ISO", false, func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }},
	{"en_GB", true, func(t time.Time) string { return t.Format("02/01/2006 15:04") }},
	{"en_AU", true, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%d/%d/%d %d:%02d %s", t.Day(), t.Month(), t.Year(), h, t.Minute(), w)
	}},
	{"en_CA", true, func(t time.Time) string {
		h, w := ampm(t, "a.m.", "p.m.")
		return fmt.Sprintf("%02d/%02d/%02d, %d:%02d %s", t.Day(), t.Month(), t.Year()%100, h, t.Minute(), w)
	}},
	{"en_CA, ISO", true, func(t time.Time) string {
		h, w := ampm(t, "a.m.", "p.m.")
		return fmt.Sprintf("%s, %d:%02d %s", t.Format("2006-01-02"), h, t.Minute(), w)
	}},
	{"es_MX", true, func(t time.Time) string {
		h, w := ampm(t, "a.\u00a0m.", "p.\u00a0m.")
		return fmt.Sprintf("%d/%d/%d %d:%02d %s", t.Day(), t.Month(), t.Year(), h, t.Minute(), w)
	}},
	{"nl, Java", true, func(t time.Time) string { return t.Format("2-1-2006 15:04") }},
	{"de", true, func(t time.Time) string { return t.Format("02.01.2006 15:04") }},
	{"de, short", false, func(t time.Time) string { return t.Format("2.1.06 15:04") }},
	{"cs", false, func(t time.Time) string { return t.Format("2. 1. 2006 15:04") }},
	{"hr", false, func(t time.Time) string { return t.Format("02.01.2006. 15:04") }},
	{"da", false, func(t time.Time) string { return t.Format("02.01.2006 15.04") }},
	{"fi", false, func(t time.Time) string { return t.Format("2.1.2006 klo 15.04") }},
	{"fr_CA", false, func(t time.Time) string { return t.Format("2006-01-02 15 h 04") }},
	{"ja", false, func(t time.Time) string { return t.Format("2006/01/02 15:04") }},
	{"en_ZA", true, func(t time.Time) string {
		h, w := ampm(t, "AM", "PM")
		return fmt.Sprintf("%s %02d:%02d %s", t.Format("2006/01/02"), h, t.Minute(), w)
	}},
	{"hu", false, func(t time.Time) string { return t.Format("2006. 01. 02. 15:04") }},
	{"ko", false, func(t time.Time) string {
		h, w := ampm(t, "오전", "오후")
		return fmt.Sprintf("%d. %d. %d. %s %d:%02d", t.Year(), t.Month(), t.Day(), w, h, t.Minute())
	}},
	{"zh", true, func(t time.Time) string {
		h, w := ampm(t, "上午", "下午")
		return fmt.Sprintf("%d/%d/%d %s%d:%02d", t.Year(), t.Month(), t.Day(), w, h, t.Minute())
	}},
}

// Every form a Setup download may use reads back as the time it was written
// from, to its minute (or second), for times all over the calendar and the
// clock: midnight and noon, single-digit days and months, days over 12 and
// under, in either order the download's locale sets. Read in UTC, so that
// no clock change makes a time ambiguous.
func TestSetupTimesReadBack(t *testing.T) {
	db := mustMacroDB(t)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	var times []time.Time
	for _, clock := range []string{"00:00:00", "00:59:07", "11:59:59", "12:00:00", "12:30:41", "23:59:59"} {
		c, _ := time.Parse("15:04:05", clock)
		d := time.Date(2026, 1, 5, c.Hour(), c.Minute(), c.Second(), 0, time.UTC)
		times = append(times, d, d.AddDate(0, 10, 21))
	}
	for range 60 {
		times = append(times, start.Add(time.Duration(rng.Int64N(int64(98*365*24*time.Hour)))).Truncate(time.Second))
	}
	for _, f := range setupForms {
		var values, wants []string
		for _, tm := range times {
			s := f.format(tm)
			want := tm.Truncate(time.Minute)
			if strings.Count(s, ":") == 2 {
				want = tm
			}
			values = append(values, "'"+s+"'")
			wants = append(wants, want.Format("2006-01-02 15:04:05"))
		}
		got := mustQuery(t, db, fmt.Sprintf(`SELECT coalesce(sa_ts_local(v, 'UTC', %t)::VARCHAR, 'NULL') FROM unnest([%s]) AS u(v)`,
			f.dayFirst, strings.Join(values, ", ")))
		for i, row := range got {
			if row[0] != wants[i] {
				t.Errorf("%s: %s read as %s, want %s", f.locale, values[i], row[0], wants[i])
			}
		}
	}
}
