import * as vscode from 'vscode';

/** Typed access to the `bootcLab.*` settings the client uses (the server reads its own). */
export interface ClientConfig {
  podmanPath: string;
  isolation?: string;
  connection?: string;
  remote: boolean;
  buildArgs: Record<string, string>;
  extraArgs: string[];
  target?: string;
  tag?: string;
  lintAfterBuild: boolean;
  runBootcLint: boolean;
  imageRunArgs: string[];
}

function substitute(value: string, folder?: vscode.WorkspaceFolder): string {
  return value
    .replace(/\$\{workspaceFolder\}/g, folder?.uri.fsPath ?? '')
    .replace(/\$\{userHome\}/g, process.env.HOME ?? '')
    .replace(/\$\{env:(\w+)\}/g, (_m, n: string) => process.env[n] ?? '');
}

export function readConfig(resource?: vscode.Uri): ClientConfig {
  const c = vscode.workspace.getConfiguration('bootcLab', resource);
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : undefined;
  const str = (k: string): string | undefined => {
    const v = c.get<string>(k, '');
    return v ? substitute(v, folder) : undefined;
  };
  return {
    podmanPath: str('podman.path') ?? 'podman',
    isolation: str('build.isolation'),
    connection: str('build.connection'),
    remote: c.get<boolean>('build.remote', false),
    buildArgs: c.get<Record<string, string>>('build.args', {}),
    extraArgs: c.get<string[]>('build.extraArgs', []).map((a) => substitute(a, folder)),
    target: str('build.target'),
    tag: str('build.tag'),
    lintAfterBuild: c.get<boolean>('build.lintImageAfterBuild', true),
    runBootcLint: c.get<boolean>('imageLint.runBootc', true),
    imageRunArgs: c.get<string[]>('imageLint.runArgs', []),
  };
}
