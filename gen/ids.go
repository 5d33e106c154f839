package gen

import "github.com/sessionaudit/sessionaudit/sfid"

// Id key prefixes of the objects the generator writes.
const (
	prefixUser    = "005"
	prefixSession = "0Ak"
	prefixLogin   = "0Ya"
	prefixGeo     = "04F"
	prefixProfile = "00e"
	prefixLocator = "01g" // REST query locators in nextRecordsUrl
	idPod         = "5g0" // instance characters and the reserved character after the prefix
	base62        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// appendID appends the 18-character Id made of prefix, the pod characters and
// n in nine base-62 digits, followed by its case-safe suffix. Ids of one
// prefix sort in the order of n, as Salesforce's do in creation order.
func appendID(dst []byte, prefix string, n uint64) []byte {
	start := len(dst)
	dst = append(dst, prefix...)
	dst = append(dst, idPod...)
	var digits [9]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	dst = append(dst, digits[:]...)
	suffix := sfid.Suffix(dst[start:])
	return append(dst, suffix[:]...)
}

// idString returns appendID's Id as a string, for the few Ids kept in Stats.
func idString(prefix string, n uint64) string {
	return string(appendID(make([]byte, 0, 18), prefix, n))
}
