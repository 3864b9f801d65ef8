package finalizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bpkeys/bpkeys/signer/bls"
)

// RecentVoteBlocks is how far behind the head a last vote may be and
// still count as "voting" (two minutes of 0.5 s blocks).
const RecentVoteBlocks = 240

// NodeVote is what a node's get_finalizer_info says about a key's votes.
// Votes travel in blocks' quorum certificates, so any node tracks every
// finalizer's last vote: this tells whether some finalizer votes with the
// key, not which host it runs on.
type NodeVote struct {
	URL string `json:"url"`
	// Known is false when the node could not tell (old nodeos, endpoint
	// disabled, unreachable): Summary says why.
	Known          bool   `json:"known"`
	Voting         bool   `json:"voting"`
	LastVotedBlock uint32 `json:"last_voted_block,omitempty"`
	HeadBlock      uint32 `json:"head_block,omitempty"`
	Strong         bool   `json:"strong,omitempty"`
	Summary        string `json:"summary"`
}

type trackedVote struct {
	PublicKey     string `json:"public_key"`
	Description   string `json:"description"`
	IsVoteStrong  bool   `json:"is_vote_strong"`
	VotedBlockNum uint32 `json:"voted_block_num"`
}

func post(ctx context.Context, hc *http.Client, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte("{}")))
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return json.Unmarshal(body, out)
}

// QueryNode asks the node at url (get_info, get_finalizer_info) whether key
// voted recently. It never fails: what cannot be known is said in Summary.
func QueryNode(ctx context.Context, hc *http.Client, url string, key bls.PublicKey) *NodeVote {
	base := strings.TrimRight(url, "/")
	v := &NodeVote{URL: base}
	if key.IsZero() {
		v.Summary = "no active finalizer key: nothing to look for"
		return v
	}
	var info struct {
		HeadBlockNum uint32 `json:"head_block_num"`
	}
	if err := post(ctx, hc, base+"/v1/chain/get_info", &info); err != nil {
		v.Summary = fmt.Sprintf("cannot be known: get_info failed (%v)", err)
		return v
	}
	var fi struct {
		LastTrackedVotes []trackedVote `json:"last_tracked_votes"`
	}
	if err := post(ctx, hc, base+"/v1/chain/get_finalizer_info", &fi); err != nil {
		v.Summary = fmt.Sprintf("cannot be known: get_finalizer_info failed (%v); it needs Spring 1.1 or later with chain_api_plugin", err)
		return v
	}
	v.Known, v.HeadBlock = true, info.HeadBlockNum
	want := key.String()
	for _, tv := range fi.LastTrackedVotes {
		if tv.PublicKey != want {
			continue
		}
		v.LastVotedBlock, v.Strong = tv.VotedBlockNum, tv.IsVoteStrong
		behind := int64(v.HeadBlock) - int64(v.LastVotedBlock)
		v.Voting = behind <= RecentVoteBlocks
		state := "voting"
		if !v.Voting {
			state = "NOT voting lately"
		}
		v.Summary = fmt.Sprintf("%s: the active key last voted on block %d, %d blocks behind head %d", state, v.LastVotedBlock, behind, v.HeadBlock)
		return v
	}
	v.Summary = "no vote with the active key is tracked: no finalizer votes with it (or it is not in the active finalizer policy yet)"
	return v
}
