package signer

import "errors"

// PermanentError is implemented by device and PIN-source errors that a
// retry cannot fix (a wrong PIN: retrying it locks the device).
type PermanentError interface {
	error
	Permanent() bool
}

// IsPermanent reports whether err, or an error it wraps, says it is
// permanent. It is decided by type (errors.As), never by message text.
func IsPermanent(err error) bool {
	var pe PermanentError
	return errors.As(err, &pe) && pe.Permanent()
}
