// Package inputfile reads the files an operator hands bpkeys (team,
// policy, config, plan, action and transaction files) with a size limit,
// so that --team /dev/zero or a wrong path to a disk image fails at once
// with a clear error instead of reading without end.
//
//	b, err := inputfile.Read(path, "team file", inputfile.MaxTeam)
package inputfile
