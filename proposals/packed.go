package proposals

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"
)

// Limits on what DecodePacked accepts. A proposal's packed transaction is
// read from a contract table that anyone can write to (any account may
// propose), so every length is checked against the bytes that remain before
// anything is allocated.
const (
	// MaxPackedSize bounds a packed transaction. nodeos's default
	// max_transaction_net_usage is 512 KiB; anything larger cannot be a
	// proposal that was accepted on chain.
	MaxPackedSize = 1 << 20
	// MaxActions bounds the actions of one transaction.
	MaxActions = 4096
	// MaxAuthorizations bounds the authorizations of one action.
	MaxAuthorizations = 256
)

// ErrMalformed is matched (errors.Is) by every error DecodePacked returns
// for bytes that are not a well-formed packed transaction.
var ErrMalformed = errors.New("malformed packed transaction")

// Action is one action of a packed transaction, with its data as raw bytes.
type Action struct {
	Account       eos.AccountName       `json:"account"`
	Name          eos.ActionName        `json:"name"`
	Authorization []eos.PermissionLevel `json:"authorization"`
	Data          []byte                `json:"-"`
}

// Transaction is a packed transaction read field by field: the header, the
// context-free actions, the actions and the extensions, with every action's
// data kept as the exact bytes that were packed.
type Transaction struct {
	Expiration         time.Time `json:"expiration"`
	RefBlockNum        uint16    `json:"ref_block_num"`
	RefBlockPrefix     uint32    `json:"ref_block_prefix"`
	MaxNetUsageWords   uint32    `json:"max_net_usage_words"`
	MaxCPUUsageMS      uint8     `json:"max_cpu_usage_ms"`
	DelaySec           uint32    `json:"delay_sec"`
	ContextFreeActions []Action  `json:"context_free_actions"`
	Actions            []Action  `json:"actions"`
	// Extensions counts the transaction_extensions entries.
	Extensions int `json:"transaction_extensions"`
}

// reader reads fc::raw values and never allocates more than what remains.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) fail(what string, format string, args ...any) error {
	return fmt.Errorf("%w: %s at byte %d: %s", ErrMalformed, what, r.pos, fmt.Sprintf(format, args...))
}

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) take(what string, n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.fail(what, "needs %d bytes, %d remain", n, r.remaining())
	}
	out := r.b[r.pos : r.pos+n]
	r.pos += n
	return out, nil
}

func (r *reader) u8(what string) (uint8, error) {
	b, err := r.take(what, 1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16(what string) (uint16, error) {
	b, err := r.take(what, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (r *reader) u32(what string) (uint32, error) {
	b, err := r.take(what, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) u64(what string) (uint64, error) {
	b, err := r.take(what, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// varuint32 reads fc's unsigned LEB128, refusing more than 5 bytes or a
// value beyond 32 bits.
func (r *reader) varuint32(what string) (uint32, error) {
	var v uint64
	for i := 0; i < 5; i++ {
		c, err := r.u8(what)
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if v > 0xffffffff {
				return 0, r.fail(what, "varuint32 overflows 32 bits")
			}
			return uint32(v), nil
		}
	}
	return 0, r.fail(what, "varuint32 longer than 5 bytes")
}

// count reads a vector length and checks that count elements of at least
// minSize bytes each can fit in what remains, and that count <= max.
func (r *reader) count(what string, minSize, max int) (int, error) {
	n, err := r.varuint32(what)
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(max) {
		return 0, r.fail(what, "%d entries, more than the limit of %d", n, max)
	}
	if int64(n)*int64(minSize) > int64(r.remaining()) {
		return 0, r.fail(what, "%d entries cannot fit in the %d bytes that remain", n, r.remaining())
	}
	return int(n), nil
}

func (r *reader) name(what string) (string, error) {
	v, err := r.u64(what)
	if err != nil {
		return "", err
	}
	return eos.NameToString(v), nil
}

func (r *reader) actions(what string) ([]Action, error) {
	// An action is at least account(8)+name(8)+auth count(1)+data length(1).
	n, err := r.count(what, 18, MaxActions)
	if err != nil {
		return nil, err
	}
	out := make([]Action, 0, n)
	for i := 0; i < n; i++ {
		w := fmt.Sprintf("%s[%d]", what, i)
		var a Action
		acct, err := r.name(w + ".account")
		if err != nil {
			return nil, err
		}
		nm, err := r.name(w + ".name")
		if err != nil {
			return nil, err
		}
		a.Account, a.Name = eos.AccountName(acct), eos.ActionName(nm)
		na, err := r.count(w+".authorization", 16, MaxAuthorizations)
		if err != nil {
			return nil, err
		}
		a.Authorization = make([]eos.PermissionLevel, 0, na)
		for j := 0; j < na; j++ {
			actor, err := r.name(w + ".authorization.actor")
			if err != nil {
				return nil, err
			}
			perm, err := r.name(w + ".authorization.permission")
			if err != nil {
				return nil, err
			}
			a.Authorization = append(a.Authorization, eos.PermissionLevel{Actor: eos.AccountName(actor), Permission: eos.PermissionName(perm)})
		}
		dl, err := r.count(w+".data", 1, MaxPackedSize)
		if err != nil {
			return nil, err
		}
		data, err := r.take(w+".data", dl)
		if err != nil {
			return nil, err
		}
		a.Data = append([]byte(nil), data...)
		out = append(out, a)
	}
	return out, nil
}

// DecodePacked reads a packed transaction (the bytes a proposal stores, or
// packed_trx) strictly: every length is bounded by the bytes that remain,
// trailing bytes are an error, and nothing is allocated beyond the input's
// size. Errors match ErrMalformed and say which field failed where.
func DecodePacked(b []byte) (*Transaction, error) {
	if len(b) > MaxPackedSize {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrMalformed, len(b), MaxPackedSize)
	}
	r := &reader{b: b}
	var t Transaction
	exp, err := r.u32("expiration")
	if err != nil {
		return nil, err
	}
	t.Expiration = time.Unix(int64(exp), 0).UTC()
	if t.RefBlockNum, err = r.u16("ref_block_num"); err != nil {
		return nil, err
	}
	if t.RefBlockPrefix, err = r.u32("ref_block_prefix"); err != nil {
		return nil, err
	}
	if t.MaxNetUsageWords, err = r.varuint32("max_net_usage_words"); err != nil {
		return nil, err
	}
	if t.MaxCPUUsageMS, err = r.u8("max_cpu_usage_ms"); err != nil {
		return nil, err
	}
	if t.DelaySec, err = r.varuint32("delay_sec"); err != nil {
		return nil, err
	}
	if t.ContextFreeActions, err = r.actions("context_free_actions"); err != nil {
		return nil, err
	}
	if t.Actions, err = r.actions("actions"); err != nil {
		return nil, err
	}
	ne, err := r.count("transaction_extensions", 3, MaxActions)
	if err != nil {
		return nil, err
	}
	for i := 0; i < ne; i++ {
		if _, err := r.u16("transaction_extensions.type"); err != nil {
			return nil, err
		}
		l, err := r.count("transaction_extensions.data", 1, MaxPackedSize)
		if err != nil {
			return nil, err
		}
		if _, err := r.take("transaction_extensions.data", l); err != nil {
			return nil, err
		}
	}
	t.Extensions = ne
	if r.remaining() != 0 {
		return nil, r.fail("end", "%d trailing bytes after the transaction", r.remaining())
	}
	return &t, nil
}

// EOS converts the transaction to eos-go's form (action data as hex), for
// signing and for the chain client.
func (t *Transaction) EOS() *eos.Transaction {
	conv := func(as []Action) []*eos.Action {
		out := make([]*eos.Action, 0, len(as))
		for _, a := range as {
			out = append(out, &eos.Action{Account: a.Account, Name: a.Name, Authorization: a.Authorization, ActionData: eos.NewActionDataFromHexData(a.Data)})
		}
		return out
	}
	return &eos.Transaction{
		TransactionHeader: eos.TransactionHeader{
			Expiration:       eos.JSONTime{Time: t.Expiration},
			RefBlockNum:      t.RefBlockNum,
			RefBlockPrefix:   t.RefBlockPrefix,
			MaxNetUsageWords: eos.Varuint32(t.MaxNetUsageWords),
			MaxCPUUsageMS:    t.MaxCPUUsageMS,
			DelaySec:         eos.Varuint32(t.DelaySec),
		},
		ContextFreeActions: conv(t.ContextFreeActions),
		Actions:            conv(t.Actions),
		Extensions:         []*eos.Extension{},
	}
}
