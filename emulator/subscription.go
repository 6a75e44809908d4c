package emulator

import (
	"errors"
	"time"
)

// SetDeveloperSubscription changes the tenant's E5 developer subscription as
// /directory/subscriptions and /subscribedSkus report it: its status (Enabled, Warning,
// Suspended, LockedOut, Deleted) and its next lifecycle date (when it renews or changes
// state). Tests of expiry warnings use it.
func (e *Emulator) SetDeveloperSubscription(tenantID, status string, next time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenants[tenantID]
	if t == nil {
		t = e.tenantByDomain[tenantID]
	}
	if t == nil {
		return errors.New("unknown tenant")
	}
	d := e.td(t)
	for _, it := range d.subscriptions.items {
		if it.o["skuId"] == DeveloperPackSKU {
			it.o["status"] = status
			it.o["nextLifecycleDateTime"] = iso(next.UTC())
		}
	}
	for _, it := range d.skus.items {
		if it.o["skuId"] != DeveloperPackSKU {
			continue
		}
		units := obj{"enabled": 25, "lockedOut": 0, "suspended": 0, "warning": 0}
		cap := "Enabled"
		switch status {
		case "Warning":
			units = obj{"enabled": 0, "lockedOut": 0, "suspended": 0, "warning": 25}
			cap = "Warning"
		case "Suspended", "Disabled":
			units = obj{"enabled": 0, "lockedOut": 0, "suspended": 25, "warning": 0}
			cap = "Suspended"
		case "LockedOut":
			units = obj{"enabled": 0, "lockedOut": 25, "suspended": 0, "warning": 0}
			cap = "LockedOut"
		}
		it.o["prepaidUnits"], it.o["capabilityStatus"] = units, cap
	}
	return nil
}
