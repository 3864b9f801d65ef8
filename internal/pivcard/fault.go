package pivcard

import "time"

// Fault injection. Injected faults take effect before the applet sees the
// command, so a forced status word leaves the card's state unchanged.

// FailNext makes the next n commands, whatever their instruction, answer sw
// without being processed.
func (c *Card) FailNext(n int, sw uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults.nextN, c.faults.nextSW = n, sw
}

// FailINS makes the next n commands with instruction ins answer sw without
// being processed; n <= 0 means every such command until ClearFaults.
func (c *Card) FailINS(ins byte, n int, sw uint16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.faults.ins == nil {
		c.faults.ins = make(map[byte]*insFault)
	}
	if n <= 0 {
		n = -1
	}
	c.faults.ins[ins] = &insFault{sw: sw, n: n}
}

// RemoveOnINS makes the card disappear when the next command with instruction
// ins arrives: the Connector closes the vpcd connection without answering, as
// if the key were pulled out mid-command, and stays removed until Insert.
func (c *Card) RemoveOnINS(ins byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.faults.removeOn == nil {
		c.faults.removeOn = make(map[byte]bool)
	}
	c.faults.removeOn[ins] = true
}

// SetDelay makes the Connector wait d before sending each answer, like a slow
// card or a key waiting for touch; zero disables the delay.
func (c *Card) SetDelay(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults.delay = d
}

// SetTouchTimeout simulates a user who never touches the key: operations that
// need touch (keys with touch policy always or cached, a management key set
// with touch) answer 6982 "security status not satisfied", the status a
// YubiKey 5 returns when its 15 s touch window expires.
func (c *Card) SetTouchTimeout(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults.noTouch = on
}

// ClearFaults removes every injected fault.
func (c *Card) ClearFaults() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = faults{}
}

func (c *Card) delay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults.delay
}

// match consumes and reports the fault, if any, for a command with
// instruction ins. It is called with the card's lock held.
func (f *faults) match(ins byte) (sw uint16, remove, ok bool) {
	if f.removeOn[ins] {
		delete(f.removeOn, ins)
		return 0, true, true
	}
	if fi := f.ins[ins]; fi != nil {
		if fi.n > 0 {
			fi.n--
			if fi.n == 0 {
				delete(f.ins, ins)
			}
		}
		return fi.sw, false, true
	}
	if f.nextN > 0 {
		f.nextN--
		return f.nextSW, false, true
	}
	return 0, false, false
}
