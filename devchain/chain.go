package devchain

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// Options configure a devchain.
type Options struct {
	// BlockInterval is the time between blocks; 0 means 500 ms.
	BlockInterval time.Duration
	// ManualClock freezes the chain clock at the genesis time: blocks are
	// made only by ProduceBlocks and AdvanceTime (and the advance_time
	// endpoint), never by a timer. Tests use it instead of sleeping.
	ManualClock bool
	// StateDir, when set, keeps the state in StateDir/state.json across
	// restarts. It is written atomically after each block that changed it
	// and on Close.
	StateDir string
	// Now is the wall clock of a real-time chain; nil means time.Now.
	Now func() time.Time
	// Log receives one line per accepted or rejected transaction; nil
	// discards.
	Log io.Writer
}

// Block is what the devchain remembers of a block.
type Block struct {
	Num  uint32
	ID   [32]byte
	Prev [32]byte
	Time time.Time
}

// RefBlockPrefix is the TaPoS prefix of the block: LE32(id[8:12]).
func (b Block) RefBlockPrefix() uint32 { return binary.LittleEndian.Uint32(b.ID[8:12]) }

// Chain is a running devchain. All methods are safe for concurrent use.
type Chain struct {
	mu       sync.Mutex
	opts     Options
	interval time.Duration
	chainID  signer.ChainID
	core     eos.Symbol
	db       *db
	log      *log.Logger
	// system is the eosio.system flavour (SystemCurrent or SystemLegacy),
	// abis the ABIs of the contracts deployed for it.
	system string
	abis   map[string]*contractABI
	// txStatus serves get_transaction_status; statuses are the blocks of
	// accepted transactions, kept until an hour after they expire.
	txStatus bool
	statuses map[[32]byte]trxInclusion

	head   Block
	blocks []Block // ring of the last 65536 blocks, by num & 0xffff
	// clock: with ManualClock the chain time is manualNow; otherwise it is
	// the wall clock plus offset (advance_time).
	manualNow time.Time
	offset    time.Duration
	known     map[[32]byte]time.Time // transaction ids until they expire
	dirty     bool

	stop    chan struct{}
	stopped sync.WaitGroup
	srv     *http.Server
	closed  bool
}

const maxTrxLifetime = 3600 * time.Second

// New builds a devchain from a genesis (nil: an empty genesis with only the
// system accounts), or from the state in opts.StateDir when it has one.
func New(g *Genesis, opts Options) (*Chain, error) {
	if opts.BlockInterval <= 0 {
		opts.BlockInterval = 500 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	c := &Chain{
		opts:     opts,
		interval: opts.BlockInterval,
		db:       newDB(),
		log:      log.New(opts.Log, "devchain: ", log.LstdFlags),
		blocks:   make([]Block, 1<<16),
		known:    map[[32]byte]time.Time{},
		statuses: map[[32]byte]trxInclusion{},
		stop:     make(chan struct{}),
	}
	loaded, err := c.loadState(g)
	if err != nil {
		return nil, err
	}
	if !loaded {
		if g == nil {
			g = &Genesis{}
		}
		if err := c.initGenesis(g); err != nil {
			return nil, err
		}
		if err := c.saveLocked(); err != nil {
			return nil, err
		}
	}
	if !opts.ManualClock {
		c.stopped.Add(1)
		go c.produceLoop()
	}
	return c, nil
}

// ChainID returns the chain id.
func (c *Chain) ChainID() signer.ChainID { return c.chainID }

// CoreSymbol returns the core token symbol.
func (c *Chain) CoreSymbol() eos.Symbol { return c.core }

// Head returns the head block.
func (c *Chain) Head() Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head
}

// now is the chain clock. Callers hold mu.
func (c *Chain) now() time.Time {
	if c.opts.ManualClock {
		return c.manualNow
	}
	return c.opts.Now().UTC().Add(c.offset)
}

// pendingTime is the time of the block a transaction arriving now goes
// into: the slot after the head block.
func (c *Chain) pendingTime() time.Time { return c.head.Time.Add(c.interval) }

func (c *Chain) slot(t time.Time) time.Time { return t.Truncate(c.interval) }

// produceLocked appends a block at time t (at least one interval after the
// head) and forgets expired transaction ids.
func (c *Chain) produceLocked(t time.Time) {
	t = c.slot(t)
	if min := c.head.Time.Add(c.interval); t.Before(min) {
		t = min
	}
	b := Block{Num: c.head.Num + 1, Prev: c.head.ID, Time: t}
	h := sha256.New()
	h.Write(b.Prev[:])
	var buf [12]byte
	binary.BigEndian.PutUint32(buf[:4], b.Num)
	binary.BigEndian.PutUint64(buf[4:], uint64(t.UnixMicro()))
	h.Write(buf[:])
	h.Write(c.chainID[:])
	h.Sum(b.ID[:0])
	binary.BigEndian.PutUint32(b.ID[:4], b.Num)
	c.head = b
	c.blocks[b.Num&0xffff] = b
	for id, exp := range c.known {
		if exp.Before(t) {
			delete(c.known, id)
		}
	}
	for id, st := range c.statuses {
		if st.Expiration.Add(time.Hour).Before(t) {
			delete(c.statuses, id)
		}
	}
	if c.dirty && c.opts.StateDir != "" {
		if err := c.saveLocked(); err != nil {
			c.log.Printf("saving state: %v", err)
		}
	}
}

func (c *Chain) produceLoop() {
	defer c.stopped.Done()
	tk := time.NewTicker(c.interval)
	defer tk.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tk.C:
			c.mu.Lock()
			if now := c.now(); !c.slot(now).Before(c.head.Time.Add(c.interval)) {
				c.produceLocked(now)
			}
			c.mu.Unlock()
		}
	}
}

// ProduceBlocks makes n blocks, moving a manual clock forward by one block
// interval each. It returns the new head.
func (c *Chain) ProduceBlocks(n int) Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < n; i++ {
		if c.opts.ManualClock {
			c.manualNow = c.head.Time.Add(c.interval)
		}
		c.produceLocked(c.head.Time.Add(c.interval))
	}
	return c.head
}

// AdvanceTime moves the chain clock forward by d and makes a block at the
// new time (what POST /v1/devchain/advance_time does). With a real clock
// the offset persists: the chain stays d ahead of the wall clock.
func (c *Chain) AdvanceTime(d time.Duration) (Block, error) {
	if d < 0 {
		return Block{}, fmt.Errorf("advance_time: seconds must not be negative")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.now().Add(d)
	if c.opts.ManualClock {
		c.manualNow = target
	} else {
		c.offset += d
	}
	c.dirty = true
	c.accrueBPayLocked(c.head.Time, c.slot(target))
	c.produceLocked(target)
	return c.head, nil
}

// Flush writes the state to StateDir now (a no-op without StateDir).
func (c *Chain) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opts.StateDir == "" {
		return nil
	}
	return c.saveLocked()
}

// Start listens on addr (such as "127.0.0.1:8888"; port 0 picks one) and
// serves the nodeos API until ctx ends or Close is called. It returns the
// address it listens on.
func (c *Chain) Start(ctx context.Context, addr string) (net.Addr, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devchain: listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	c.mu.Lock()
	c.srv = srv
	c.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Printf("serving: %v", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		case <-c.stop:
		}
	}()
	return ln.Addr(), nil
}

// Close stops block production and the server and writes the state.
func (c *Chain) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	srv := c.srv
	c.mu.Unlock()
	close(c.stop)
	c.stopped.Wait()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	return c.Flush()
}

// systemAccounts exist on every devchain. eosio and eosio.msig are
// privileged (their inline actions skip authorization checks, as on a real
// chain); eosio.bpay pays rewards with an inline transfer authorised by
// eosio.bpay@eosio.code.
var systemAccounts = []struct {
	name       string
	privileged bool
	contract   bool
}{
	{"eosio", true, true},
	{"eosio.msig", true, true},
	{"eosio.token", false, true},
	{"eosio.bpay", false, true},
	{"eosio.vpay", false, false},
	{"eosio.prods", false, false},
	{"eosio.null", false, false},
	{"eosio.ram", false, false},
	{"eosio.stake", false, false},
}

func (c *Chain) initGenesis(g *Genesis) error {
	var err error
	if c.chainID, err = g.chainID(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	if c.core, err = g.coreSymbol(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	start, err := g.time()
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	if c.system, err = g.systemContract(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	if c.abis, err = loadABIs(c.system); err != nil {
		return err
	}
	c.txStatus = boolOr(g.TransactionStatus, true)
	if !c.opts.ManualClock {
		start = c.opts.Now().UTC()
	}
	start = start.Truncate(c.interval)
	c.manualNow = start
	c.head = Block{Time: start.Add(-c.interval)}
	c.produceLocked(start)

	d := c.db
	for _, s := range systemAccounts {
		a := &account{Name: s.name, Created: start, Privileged: s.privileged, Contract: s.contract && c.abis[s.name] != nil, Perms: map[string]*permission{}, Links: map[linkKey]string{}}
		var auth authority
		switch s.name {
		case "eosio":
			auth = authority{Threshold: 1, Accounts: []levelWeight{{level{"eosio.prods", "active"}, 1}}}
		case "eosio.bpay":
			auth = authority{Threshold: 1, Accounts: []levelWeight{{level{"eosio", "active"}, 1}, {level{"eosio.bpay", "eosio.code"}, 1}}}
		default:
			auth = authority{Threshold: 1, Accounts: []levelWeight{{level{"eosio", "active"}, 1}}}
		}
		a.Perms["owner"] = &permission{Name: "owner", Auth: auth, LastUpdated: start}
		a.Perms["active"] = &permission{Name: "active", Parent: "owner", Auth: auth, LastUpdated: start}
		d.accounts[s.name] = a
	}
	balances := map[string]int64{}
	for i, ga := range g.Accounts {
		name := ga.Name
		if name == "" {
			name = ga.AccountName
		}
		if _, err := contracts.NameValue(name); err != nil || name == "" {
			return fmt.Errorf("genesis: accounts[%d]: %v", i, err)
		}
		a := d.accounts[name]
		if a == nil {
			a = &account{Name: name, Created: start, Perms: map[string]*permission{}, Links: map[linkKey]string{}}
			d.accounts[name] = a
		}
		if ga.Privileged {
			a.Privileged = true
		}
		for j, gp := range ga.Permissions {
			auth, err := gp.RequiredAuth.authority()
			if err != nil {
				return fmt.Errorf("genesis: account %s permission %s (#%d): %w", name, gp.PermName, j, err)
			}
			a.Perms[gp.PermName] = &permission{Name: gp.PermName, Parent: gp.Parent, Auth: auth, LastUpdated: start}
			for _, la := range gp.LinkedActions {
				d.setLink(a, linkKey{la.Account, la.Action}, gp.PermName)
			}
		}
		if ga.Balance != "" {
			amt, err := eos.NewAssetFromString(ga.Balance)
			if err != nil || amt.Symbol.Symbol != c.core.Symbol || amt.Precision != c.core.Precision {
				return fmt.Errorf("genesis: account %s: balance %q is not an amount of the core symbol %d,%s", name, ga.Balance, c.core.Precision, c.core.Symbol)
			}
			balances[name] += int64(amt.Amount)
		}
	}
	// Check the permission trees and account references.
	for _, a := range d.accounts {
		if a.Perms["owner"] == nil || a.Perms["active"] == nil {
			return fmt.Errorf("genesis: account %s needs owner and active permissions", a.Name)
		}
		for _, p := range a.Perms {
			switch {
			case p.Name == "owner" && p.Parent != "":
				return fmt.Errorf("genesis: account %s: owner must have no parent", a.Name)
			case p.Name != "owner" && a.Perms[p.Parent] == nil:
				return fmt.Errorf("genesis: account %s: permission %s has parent %q, which does not exist", a.Name, p.Name, p.Parent)
			}
			for _, lw := range p.Auth.Accounts {
				if d.accounts[lw.Level.Actor] == nil {
					return fmt.Errorf("genesis: account %s permission %s refers to account %s, which is not in the genesis", a.Name, p.Name, lw.Level.Actor)
				}
			}
		}
		for k, req := range a.Links {
			if req != string(contracts.Any) && a.Perms[req] == nil {
				return fmt.Errorf("genesis: account %s links %s::%s to %s, which does not exist", a.Name, k.Code, k.Action, req)
			}
		}
	}
	// Reward pools so that claims pay out.
	pool := int64(100_000_000) * pow10(c.core.Precision)
	for _, n := range []string{"eosio.bpay", "eosio.vpay"} {
		if balances[n] == 0 {
			balances[n] = pool
		}
	}
	var supply int64
	for n, amt := range balances {
		supply += amt
		d.setRow(tableID{nToken, nameValue(n), nAccounts}, c.symCode(), nToken, contracts.MustEncode(contracts.TokenAccountRow{Balance: c.asset(amt)}))
	}
	d.setRow(tableID{nToken, c.symCode(), nStat}, c.symCode(), nToken, contracts.MustEncode(contracts.CurrencyStatsRow{
		Supply: c.asset(supply), MaxSupply: c.asset(10_000_000_000 * pow10(c.core.Precision)), Issuer: "eosio",
	}))
	for i, gp := range g.Producers {
		if d.accounts[gp.Owner] == nil {
			return fmt.Errorf("genesis: producers[%d]: account %q is not in the genesis", i, gp.Owner)
		}
		pk, err := signer.ParsePublicKey(gp.ProducerKey)
		if err != nil {
			return fmt.Errorf("genesis: producer %s: producer_key: %w", gp.Owner, err)
		}
		var lct time.Time
		if gp.LastClaimTime != "" {
			if lct, err = parseTime(gp.LastClaimTime); err != nil {
				return fmt.Errorf("genesis: producer %s: last_claim_time: %w", gp.Owner, err)
			}
		}
		row := contracts.ProducerInfoWithAuthority{
			ProducerInfo: contracts.ProducerInfo{
				Owner: eos.AccountName(gp.Owner), ProducerKey: pk.ECC(), IsActive: true, URL: gp.URL, Location: gp.Location,
			},
			ProducerAuthority: contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: pk.ECC(), Weight: 1}}},
		}
		if !lct.IsZero() {
			row.LastClaimTime = contracts.TimePointOf(lct)
		}
		d.setRow(producersTable, nameValue(gp.Owner), nameValue(gp.Owner), c.encodeProducer(row))
		if !d.accounts["eosio.bpay"].Contract {
			continue
		}
		reward := c.asset(100 * pow10(c.core.Precision))
		if gp.BPayRewards != "" {
			if gp.BPayRewards == "0" {
				reward.Amount = 0
			} else if reward, err = eos.NewAssetFromString(gp.BPayRewards); err != nil || reward.Symbol.Symbol != c.core.Symbol {
				return fmt.Errorf("genesis: producer %s: bpay_rewards %q is not an amount of the core symbol", gp.Owner, gp.BPayRewards)
			}
		}
		if reward.Amount > 0 {
			d.setRow(tableID{nBPay, nBPay, nRewards}, nameValue(gp.Owner), nBPay, contracts.MustEncode(contracts.RewardsRow{Owner: eos.AccountName(gp.Owner), Quantity: reward}))
		}
	}
	c.setGlobalLocked(start, boolOr(g.Activated, true))
	d.commit()
	return nil
}

// setGlobalLocked writes eosio's global table: blockchain parameters as a
// fresh chain has them, activated at t or not.
func (c *Chain) setGlobalLocked(t time.Time, activated bool) {
	gs := contracts.GlobalState{
		BlockchainParameters: contracts.BlockchainParameters{
			MaxBlockNetUsage: 1048576, TargetBlockNetUsagePct: 1000, MaxTransactionNetUsage: 524288, BasePerTransactionNetUsage: 12,
			NetUsageLeeway: 500, ContextFreeDiscountNetUsageNum: 20, ContextFreeDiscountNetUsageDen: 100, MaxBlockCPUUsage: 200000,
			TargetBlockCPUUsagePct: 1000, MaxTransactionCPUUsage: 150000, MinTransactionCPUUsage: 100, MaxTransactionLifetime: 3600,
			DeferredTrxExpirationWindow: 600, MaxTransactionDelay: 3888000, MaxInlineActionSize: 524288, MaxInlineActionDepth: 4, MaxAuthorityDepth: 6,
		},
		MaxRAMSize: 64 << 30, LastPervoteBucketFill: contracts.TimePointOf(t),
	}
	if activated {
		gs.TotalActivatedStake = 150_000_000 * 10000
		gs.ThreshActivatedStakeTime = contracts.TimePointOf(t)
	}
	c.db.setRow(globalTable, nGlobal, nEosio, contracts.MustEncode(gs))
}

// encodeProducer writes a producers row as the system contract does: with
// producer_authority$ (current) or without it (legacy).
func (c *Chain) encodeProducer(row contracts.ProducerInfoWithAuthority) []byte {
	if c.system == SystemLegacy {
		return contracts.MustEncode(row.ProducerInfo)
	}
	return contracts.MustEncode(row)
}

func pow10(p uint8) int64 {
	v := int64(1)
	for i := uint8(0); i < p; i++ {
		v *= 10
	}
	return v
}

func (c *Chain) asset(amount int64) eos.Asset {
	return eos.Asset{Amount: eos.Int64(amount), Symbol: eos.Symbol{Precision: c.core.Precision, Symbol: c.core.Symbol}}
}

// symCode is the core symbol code as a uint64 (table key and stat scope).
func (c *Chain) symCode() uint64 { return symbolCode(c.core.Symbol) }

func symbolCode(s string) uint64 {
	var v uint64
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v
}

// Accounts lists account names, sorted.
func (c *Chain) Accounts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.db.accounts))
	for n := range c.db.accounts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
