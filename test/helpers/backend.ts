/** Test setup: the js reference backend and the Node platform. */
import { registerBackend, setBackend } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { nodePlatform } from '../../src/platform/node.js';
import { setPlatform } from '../../src/platform/platform.js';

registerBackend(jsBackend);
setBackend('js');
setPlatform(nodePlatform);
