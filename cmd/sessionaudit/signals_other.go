//go:build !unix

package main

// ignoreFileSizeLimitSignal does nothing where there is no SIGXFSZ.
func ignoreFileSizeLimitSignal() {}
