/** Custom LSP notifications between the bootc Lab server and its clients. */
export const STATUS_NOTIFICATION = 'bootcLab/status';

/** Sent after each lint, for the client's language status item. */
export interface StatusParams {
  uri: string;
  bootc: boolean;
  /** The final FROM as written when ARG defaults do not resolve it. */
  unresolvedBase?: string;
  errors: number;
  warnings: number;
  infos: number;
  configFile?: string;
  configError?: string;
}
