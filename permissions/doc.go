// Package permissions models an account's authority tree (permissions with
// parents, thresholds, keys, account levels, waits and linked actions), says
// who can satisfy what, and turns planned changes into the exact native
// actions nodeos expects. It is pure: data in, data out; chain I/O lives in
// package chain.
package permissions
