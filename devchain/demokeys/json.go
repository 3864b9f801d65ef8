package demokeys

import "encoding/json"

func unmarshalAuthority(s string, a any) error { return json.Unmarshal([]byte(s), a) }
