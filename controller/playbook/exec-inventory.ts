// Adapts controller/inventory's Inventory to the executor's InventoryView.
import type { Inventory } from '../inventory/index.js';
import type { InventoryView } from './exec-types.js';

export function inventoryView(inv: Inventory): InventoryView {
  let members: Record<string, string[]> | undefined;
  return {
    hosts: () => inv.hosts(),
    groupNames: (h) => inv.groupNames(h),
    groupMembers: () => {
      if (!members) {
        members = {};
        for (const g of Object.keys(inv.groups())) members[g] = inv.groupHosts(g) ?? [];
      }
      return members;
    },
    hostVars: (h) => inv.hostVars(h),
    select: (p) => inv.select(p),
  };
}
