// Package policies holds the safety rules every plan is checked against
// before anything is signed (never lock an account out) and the rules of a
// team's policy file. It is pure: it reads a permission model and returns
// findings.
package policies
