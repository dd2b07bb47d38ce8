import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './service';

// `--stdio`, `--node-ipc` and `--socket=N` are read from argv by createConnection.
startServer(createConnection(ProposedFeatures.all));
