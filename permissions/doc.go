// Package permissions models an account's authority tree (permissions with
// parents, thresholds, keys, account levels, waits and linked actions), says
// who can satisfy what, and turns planned changes into the exact native
// actions nodeos expects. It is pure: data in, data out; chain I/O lives in
// package chain.
//
// The model: FromChain builds an Account from get_account's answer; a World
// holds it and the accounts its authorities name (LoadWorld follows account
// levels as deep as nodeos does, MaxDepth).
//
// Satisfaction: World.Satisfy follows nodeos's authority_checker exactly
// (weights against thresholds, account levels to depth 6, a level met again
// while being evaluated counts for nothing, waits never count).
// MinimalSets and MinimalHolderSets list who can satisfy a permission
// together; Account.MinimumPermission is lookup_minimum_permission; and
// WhoCanDoWhat answers, for each team member, which actions they can run
// alone and with whom.
//
// Plans: NewPlan applies Edits (rotate a key everywhere, add or remove keys
// and account levels, thresholds, create and delete permissions, link and
// unlink actions, the producer template) and derives the native actions
// (updateauth, linkauth, unlinkauth, deleteauth) with authorities
// normalized as nodeos demands, in the order it needs (parents before
// children, unlink before deleteauth; a permission created under one the
// same plan creates goes in a second transaction, Action.Stage), each
// declaring the authority nodeos requires (active when it satisfies the
// minimum permission, else owner). Plans serialise to JSON and Verify
// refuses a plan file whose actions are not what its edits produce.
//
// The producer template creates claim (eosio::claimrewards, and
// eosio.bpay::claimrewards when asked) and rotate (eosio::regproducer,
// regproducer2, unregprod) under active. Their keys are the caller's, or
// else a copy of active's whole authority: the template never lowers the
// bar, and the team rotates dedicated keys in afterwards. An existing claim
// or rotate keeps its authority unless keys are given.
package permissions
