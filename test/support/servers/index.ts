// Real Debian servers for tests and benchmarks, each on a free loopback port, each with stop().
export { type RunningServer } from './common';
export { makeServerTlsFiles, type ServerTlsFiles } from './tls-files';
export { startPostgres,  } from './postgres';
export { startRedis,  } from './redis';
export { startSshd } from './sshd';
export { startMemcached } from './memcached';
export { startSmtp } from './smtp';
export { startNginx, type NginxServer } from './nginx';
export { startDovecot, type DovecotServer } from './dovecot';
export { startVsftpd } from './vsftpd';
