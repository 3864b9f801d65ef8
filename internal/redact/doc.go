// Package redact decides what operator input may be repeated in a message:
// anything that could be a secret (a private key in any form, even
// mistyped; a long hex string; a number that could be a PIN) is described
// by kind and never echoed, even in part, and the credentials in a URL are
// replaced before the URL is shown.
//
//	fmt.Errorf("key %s: %w", redact.Quote(s), err) // "key (not repeated: it looks like a private key in WIF form): ..."
//	log.Print(redact.URL(endpoint))                 // https://***@node.example:443
package redact
