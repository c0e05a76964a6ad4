package main

import (
	"context"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/storage"
)

// countedSaves is the store as the CRM connectors save through it: each
// stage a lead enters counts in handoff_leads_received_total by stage and
// source, as the intake API's do, so that the leads received from HubSpot
// and Salesforce are not missing from it.
type countedSaves struct {
	store   *storage.Store
	metrics *metrics.Metrics
}

// SaveLead saves as storage.Store.SaveLead does and counts the stages entered.
func (c countedSaves) SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error) {
	res, err := c.store.SaveLead(ctx, in, policy, now, actor)
	if err == nil {
		c.count(res)
	}
	return res, err
}

// SaveLeadVersion saves as storage.Store.SaveLeadVersion does and counts
// the stages entered (none for a stale version, which writes nothing).
func (c countedSaves) SaveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time,
	actor, source string, version handoff.CRMVersion) (handoff.SaveResult, bool, error) {
	res, stale, err := c.store.SaveLeadVersion(ctx, in, policy, now, actor, source, version)
	if err == nil {
		c.count(res)
	}
	return res, stale, err
}

// RestoreLeadVersion saves a CRM's restore of a deleted record as
// storage.Store.RestoreLeadVersion does and counts the stage its lead
// returns to, as a stage change's.
func (c countedSaves) RestoreLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time,
	actor, source string, version handoff.CRMVersion) (handoff.SaveResult, bool, error) {
	res, stale, err := c.store.RestoreLeadVersion(ctx, in, policy, now, actor, source, version)
	if err == nil {
		c.count(res)
	}
	return res, stale, err
}

// FoldMerged folds a CRM's merged records as storage.Store.FoldMerged
// does. Nothing is counted: a merge receives no lead, it closes one.
func (c countedSaves) FoldMerged(ctx context.Context, source, survivor string, merged []string, policy handoff.Policy, now time.Time, actor string) error {
	return c.store.FoldMerged(ctx, source, survivor, merged, policy, now, actor)
}

// ForgetCRMPerson erases a person's leads as
// storage.Store.ForgetCRMPerson does, for a CRM's erasure of its record.
// Nothing is counted: no lead is received.
func (c countedSaves) ForgetCRMPerson(ctx context.Context, source, externalID string, policy handoff.Policy, now time.Time, actor string) (int, error) {
	return c.store.ForgetCRMPerson(ctx, source, externalID, policy, now, actor)
}

func (c countedSaves) count(res handoff.SaveResult) {
	if res.Lead == nil {
		return
	}
	for _, e := range res.Events {
		if e.Kind == handoff.EventStage {
			c.metrics.LeadStage(string(e.Stage), res.Lead.Source)
		}
	}
}
