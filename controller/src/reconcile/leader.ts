// The leader-election seam: one replica reconciles, every replica serves the API. A single controller on the
// embedded store is always the leader; the etcd election plugs in here when several controllers share etcd.
export interface LeaderElector {
  /** Resolves once this replica leads; `onLost` is called if it stops leading. */
  campaign(onLost: () => void): Promise<void>;
  resign(): Promise<void>;
}

export const soleLeader: LeaderElector = {
  campaign: async () => undefined,
  resign: async () => undefined,
};
