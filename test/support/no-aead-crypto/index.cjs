// node-dtls-client loads node-aead-crypto only on Node < 10; Node 20 uses node:crypto directly.
throw new Error('node-aead-crypto is not installed in this project: node-dtls-client uses node:crypto on Node >= 10.');
