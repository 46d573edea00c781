// The address policy after resolution is the declaration's: one isLinkLocal, in the domain, for synth and probes alike.
export { isLinkLocal } from '../../shared/domain/net';
