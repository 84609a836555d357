package svlog

import "gorunit/internal/tai64"

// Time stamp modes (-t, -tt, -ttt).
const (
	StampNone = iota
	StampTAI64N
	StampUTC // YYYY-MM-DD_HH:MM:SS.xxxxx
	StampISO // YYYY-MM-DDTHH:MM:SS.xxxxx
)

// StampLen is the length of every stamp, including the trailing space.
const StampLen = 26

// AppendStamp appends the line stamp of mode for unix time sec and
// microseconds usec (runit derives its times from gettimeofday), with the
// trailing space. It appends nothing for StampNone.
func AppendStamp(dst []byte, mode int, sec int64, usec int64) []byte {
	switch mode {
	case StampTAI64N:
		n := tai64.N{Sec: tai64.Base + uint64(sec), Nano: uint32(usec*1000 + 500)}
		return append(n.AppendText(dst), ' ')
	case StampUTC, StampISO:
		sep := byte('_')
		if mode == StampISO {
			sep = 'T'
		}
		days := sec / 86400
		rem := sec % 86400
		if rem < 0 {
			rem += 86400
			days--
		}
		y, m, d := civil(days)
		var b [StampLen]byte
		put4(b[0:], y)
		b[4] = '-'
		put2(b[5:], m)
		b[7] = '-'
		put2(b[8:], d)
		b[10] = sep
		put2(b[11:], int(rem/3600))
		b[13] = ':'
		put2(b[14:], int(rem/60%60))
		b[16] = ':'
		put2(b[17:], int(rem%60))
		b[19] = '.'
		f := int(usec / 10)
		for i := 24; i >= 20; i-- {
			b[i] = byte('0' + f%10)
			f /= 10
		}
		b[25] = ' '
		return append(dst, b[:]...)
	}
	return dst
}

func put2(b []byte, v int) {
	b[0] = byte('0' + v/10%10)
	b[1] = byte('0' + v%10)
}

func put4(b []byte, v int) {
	b[0] = byte('0' + v/1000%10)
	b[1] = byte('0' + v/100%10)
	b[2] = byte('0' + v/10%10)
	b[3] = byte('0' + v%10)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date.
func civil(days int64) (y, m, d int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}
