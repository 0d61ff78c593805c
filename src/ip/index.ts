export * from './cidr';
export * from './special-purpose';
export * from './free-space';
export * from './asn';
