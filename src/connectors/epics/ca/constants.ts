/**
 * Channel Access protocol constants, named exactly as epics-base names them so that each line can be
 * checked against its header: `caProto.h` (commands, ports, flags), `db_access.h` (DBF/DBR types,
 * sizes), `caerr.h` (ECA status codes), `caeventmask.h` (DBE masks) and `alarm.h` (status/severity).
 */

// ---- caProto.h ----------------------------------------------------------------------------------

export const CA_MAJOR_PROTOCOL_REVISION = 4;
/** The minor revision burrow speaks (EPICS 3.14+ / 7: TCP search, zero-length requests). */
export const CA_MINOR_PROTOCOL_REVISION = 13;
export const CA_UKN_MINOR_VERSION = 0;
export const CA_MINIMUM_SUPPORTED_VERSION = 4;

/** Minor revisions that changed the wire format (caProto.h `CA_V4x`). */
export const CA_V44 = (minor: number): boolean => minor >= 4;
/** large arrays (extended header), dispatch priorities */
export const CA_V49 = (minor: number): boolean => minor >= 9;
/** sequence numbers in the UDP VERSION command */
export const CA_V411 = (minor: number): boolean => minor >= 11;
/** TCP-based search requests */
export const CA_V412 = (minor: number): boolean => minor >= 12;
/** zero element count in requests means "the native (dynamic) count" */
export const CA_V413 = (minor: number): boolean => minor >= 13;
export const CA_VSUPPORTED = (minor: number): boolean => minor >= CA_MINIMUM_SUPPORTED_VERSION;

export const CA_SERVER_PORT = 5064;
export const CA_REPEATER_PORT = 5065;

/** 1500 (Ethernet MTU) - 20 (IP) - 8 (UDP) */
export const ETHERNET_MAX_UDP = 1500 - 20 - 8;
export const MAX_UDP_RECV = 0xffff + 16;
export const MAX_UDP_SEND = 1024;
export const MAX_TCP = 1024 * 16;

export const CA_PROTO_PRIORITY_MIN = 0;
export const CA_PROTO_PRIORITY_MAX = 99;

export const CA_PROTO_VERSION = 0;
export const CA_PROTO_EVENT_ADD = 1;
export const CA_PROTO_EVENT_CANCEL = 2;
export const CA_PROTO_READ = 3;
export const CA_PROTO_WRITE = 4;
export const CA_PROTO_SNAPSHOT = 5;
export const CA_PROTO_SEARCH = 6;
export const CA_PROTO_BUILD = 7;
export const CA_PROTO_EVENTS_OFF = 8;
export const CA_PROTO_EVENTS_ON = 9;
export const CA_PROTO_READ_SYNC = 10;
export const CA_PROTO_ERROR = 11;
export const CA_PROTO_CLEAR_CHANNEL = 12;
export const CA_PROTO_RSRV_IS_UP = 13;
export const CA_PROTO_NOT_FOUND = 14;
export const CA_PROTO_READ_NOTIFY = 15;
export const CA_PROTO_READ_BUILD = 16;
export const REPEATER_CONFIRM = 17;
export const CA_PROTO_CREATE_CHAN = 18;
export const CA_PROTO_WRITE_NOTIFY = 19;
export const CA_PROTO_CLIENT_NAME = 20;
export const CA_PROTO_HOST_NAME = 21;
export const CA_PROTO_ACCESS_RIGHTS = 22;
export const CA_PROTO_ECHO = 23;
export const REPEATER_REGISTER = 24;
export const CA_PROTO_SIGNAL = 25;
export const CA_PROTO_CREATE_CH_FAIL = 26;
export const CA_PROTO_SERVER_DISCONN = 27;
export const CA_PROTO_LAST_CMMD = CA_PROTO_SERVER_DISCONN;

const COMMAND_NAMES = [
  'VERSION', 'EVENT_ADD', 'EVENT_CANCEL', 'READ', 'WRITE', 'SNAPSHOT', 'SEARCH', 'BUILD', 'EVENTS_OFF',
  'EVENTS_ON', 'READ_SYNC', 'ERROR', 'CLEAR_CHANNEL', 'RSRV_IS_UP', 'NOT_FOUND', 'READ_NOTIFY', 'READ_BUILD',
  'REPEATER_CONFIRM', 'CREATE_CHAN', 'WRITE_NOTIFY', 'CLIENT_NAME', 'HOST_NAME', 'ACCESS_RIGHTS', 'ECHO',
  'REPEATER_REGISTER', 'SIGNAL', 'CREATE_CH_FAIL', 'SERVER_DISCONN',
] as const;

/** 'READ_NOTIFY' for 15; 'CMD_99' for a number no header defines (logs and frame dumps). */
export function commandName(command: number): string {
  return COMMAND_NAMES[command] ?? `CMD_${command}`;
}

/** SEARCH `data_type`: whether a server that lacks the name must answer NOT_FOUND (TCP only). */
export const DOREPLY = 10;
export const DONTREPLY = 5;

/** `data_type` of the VERSION header leading a UDP reply whose `p1` echoes the request's sequence number */
export const sequenceNoIsValid = 1;

export const CA_PROTO_ACCESS_RIGHT_READ = 1 << 0;
export const CA_PROTO_ACCESS_RIGHT_WRITE = 1 << 1;

/** PV names longer than this are taken to be garbage */
export const unreasonablePVNameSize = 500;

// ---- db_access.h --------------------------------------------------------------------------------

export const MAX_STRING_SIZE = 40;
export const MAX_UNITS_SIZE = 8;
export const MAX_ENUM_STRING_SIZE = 26;
export const MAX_ENUM_STATES = 16;

export const DBF_STRING = 0;
export const DBF_INT = 1;
export const DBF_SHORT = 1;
export const DBF_FLOAT = 2;
export const DBF_ENUM = 3;
export const DBF_CHAR = 4;
export const DBF_LONG = 5;
export const DBF_DOUBLE = 6;
export const DBF_NO_ACCESS = 7;
export const LAST_TYPE = DBF_DOUBLE;

export const DBR_STRING = DBF_STRING;
export const DBR_INT = DBF_INT;
export const DBR_SHORT = DBF_INT;
export const DBR_FLOAT = DBF_FLOAT;
export const DBR_ENUM = DBF_ENUM;
export const DBR_CHAR = DBF_CHAR;
export const DBR_LONG = DBF_LONG;
export const DBR_DOUBLE = DBF_DOUBLE;
export const DBR_STS_STRING = 7;
export const DBR_STS_SHORT = 8;
export const DBR_STS_INT = DBR_STS_SHORT;
export const DBR_STS_FLOAT = 9;
export const DBR_STS_ENUM = 10;
export const DBR_STS_CHAR = 11;
export const DBR_STS_LONG = 12;
export const DBR_STS_DOUBLE = 13;
export const DBR_TIME_STRING = 14;
export const DBR_TIME_INT = 15;
export const DBR_TIME_SHORT = 15;
export const DBR_TIME_FLOAT = 16;
export const DBR_TIME_ENUM = 17;
export const DBR_TIME_CHAR = 18;
export const DBR_TIME_LONG = 19;
export const DBR_TIME_DOUBLE = 20;
export const DBR_GR_STRING = 21;
export const DBR_GR_SHORT = 22;
export const DBR_GR_INT = DBR_GR_SHORT;
export const DBR_GR_FLOAT = 23;
export const DBR_GR_ENUM = 24;
export const DBR_GR_CHAR = 25;
export const DBR_GR_LONG = 26;
export const DBR_GR_DOUBLE = 27;
export const DBR_CTRL_STRING = 28;
export const DBR_CTRL_SHORT = 29;
export const DBR_CTRL_INT = DBR_CTRL_SHORT;
export const DBR_CTRL_FLOAT = 30;
export const DBR_CTRL_ENUM = 31;
export const DBR_CTRL_CHAR = 32;
export const DBR_CTRL_LONG = 33;
export const DBR_CTRL_DOUBLE = 34;
export const DBR_PUT_ACKT = DBR_CTRL_DOUBLE + 1;
export const DBR_PUT_ACKS = DBR_PUT_ACKT + 1;
export const DBR_STSACK_STRING = DBR_PUT_ACKS + 1;
export const DBR_CLASS_NAME = DBR_STSACK_STRING + 1;
export const LAST_BUFFER_TYPE = DBR_CLASS_NAME;

/** The DBR types burrow encodes and decodes: the five classes of the seven field types. */
export const LAST_SUPPORTED_DBR_TYPE = DBR_CTRL_DOUBLE;

const DBF_NAMES = ['STRING', 'SHORT', 'FLOAT', 'ENUM', 'CHAR', 'LONG', 'DOUBLE'] as const;
export type DbfName = (typeof DBF_NAMES)[number];
const DBR_CLASS_PREFIXES = ['', 'STS_', 'TIME_', 'GR_', 'CTRL_'] as const;

/** 'DBF_DOUBLE' for 6 (field types are the plain DBR ids 0–6). */
export function dbfName(fieldType: number): string {
  const name = DBF_NAMES[fieldType];
  return name ? `DBF_${name}` : `DBF_${fieldType}`;
}

/** 'DBR_TIME_DOUBLE' for 20. */
export function dbrName(dbrType: number): string {
  const prefix = DBR_CLASS_PREFIXES[Math.floor(dbrType / 7)];
  const base = DBF_NAMES[dbrType % 7];
  return prefix !== undefined && base && dbrType >= 0 ? `DBR_${prefix}${base}` : `DBR_${dbrType}`;
}

/** The short lower-case name the soft IOC's JSON files and the CLI use for a field type: 'double'. */
export function fieldTypeKeyword(fieldType: number): string | undefined {
  return DBF_NAMES[fieldType]?.toLowerCase();
}

/** The field type for 'double', 'float', 'long', 'short' (or 'int'), 'char', 'enum', 'string'. */
export function fieldTypeFromKeyword(keyword: string): number | undefined {
  const upper = keyword.toUpperCase();
  if (upper === 'INT') return DBF_INT;
  const index = (DBF_NAMES as readonly string[]).indexOf(upper);
  return index === -1 ? undefined : index;
}

// ---- caeventmask.h ------------------------------------------------------------------------------

export const DBE_VALUE = 1 << 0;
export const DBE_ARCHIVE = 1 << 1;
export const DBE_LOG = DBE_ARCHIVE;
export const DBE_ALARM = 1 << 2;
export const DBE_PROPERTY = 1 << 3;

// ---- caerr.h ------------------------------------------------------------------------------------

export const CA_K_INFO = 3;
export const CA_K_ERROR = 2;
export const CA_K_SUCCESS = 1;
export const CA_K_WARNING = 0;
export const CA_K_SEVERE = 4;
export const CA_K_FATAL = CA_K_ERROR | CA_K_SEVERE;

export const CA_M_MSG_NO = 0x0000fff8;
export const CA_M_SEVERITY = 0x00000007;
export const CA_M_SUCCESS = 0x00000001;
export const CA_V_MSG_NO = 0x03;

export const CA_EXTRACT_MSG_NO = (code: number): number => (code & CA_M_MSG_NO) >> CA_V_MSG_NO;
export const CA_EXTRACT_SEVERITY = (code: number): number => code & CA_M_SEVERITY;
export const CA_EXTRACT_SUCCESS = (code: number): number => code & CA_M_SUCCESS;

const DEFMSG = (severity: number, number: number): number => ((number << CA_V_MSG_NO) & CA_M_MSG_NO) | (severity & CA_M_SEVERITY);

export const ECA_NORMAL = DEFMSG(CA_K_SUCCESS, 0);
export const ECA_ALLOCMEM = DEFMSG(CA_K_WARNING, 6);
export const ECA_TOLARGE = DEFMSG(CA_K_WARNING, 9);
export const ECA_TIMEOUT = DEFMSG(CA_K_WARNING, 10);
export const ECA_BADTYPE = DEFMSG(CA_K_ERROR, 14);
export const ECA_INTERNAL = DEFMSG(CA_K_FATAL, 17);
export const ECA_GETFAIL = DEFMSG(CA_K_WARNING, 19);
export const ECA_PUTFAIL = DEFMSG(CA_K_WARNING, 20);
export const ECA_BADCOUNT = DEFMSG(CA_K_WARNING, 22);
export const ECA_BADSTR = DEFMSG(CA_K_ERROR, 23);
export const ECA_DISCONN = DEFMSG(CA_K_WARNING, 24);
export const ECA_DBLCHNL = DEFMSG(CA_K_WARNING, 25);
export const ECA_EVDISALLOW = DEFMSG(CA_K_ERROR, 26);
export const ECA_BADMONID = DEFMSG(CA_K_ERROR, 30);
export const ECA_BADMASK = DEFMSG(CA_K_ERROR, 41);
export const ECA_IODONE = DEFMSG(CA_K_INFO, 42);
export const ECA_IOINPROGRESS = DEFMSG(CA_K_INFO, 43);
export const ECA_BADSYNCGRP = DEFMSG(CA_K_ERROR, 44);
export const ECA_PUTCBINPROG = DEFMSG(CA_K_ERROR, 45);
export const ECA_NORDACCESS = DEFMSG(CA_K_WARNING, 46);
export const ECA_NOWTACCESS = DEFMSG(CA_K_WARNING, 47);
export const ECA_ANACHRONISM = DEFMSG(CA_K_ERROR, 48);
export const ECA_NOSEARCHADDR = DEFMSG(CA_K_WARNING, 49);
export const ECA_NOCONVERT = DEFMSG(CA_K_WARNING, 50);
export const ECA_BADCHID = DEFMSG(CA_K_ERROR, 51);
export const ECA_BADFUNCPTR = DEFMSG(CA_K_ERROR, 52);
export const ECA_ISATTACHED = DEFMSG(CA_K_WARNING, 53);
export const ECA_UNAVAILINSERV = DEFMSG(CA_K_WARNING, 54);
export const ECA_CHANDESTROY = DEFMSG(CA_K_WARNING, 55);
export const ECA_BADPRIORITY = DEFMSG(CA_K_ERROR, 56);
export const ECA_NOTTHREADED = DEFMSG(CA_K_ERROR, 57);
export const ECA_16KARRAYCLIENT = DEFMSG(CA_K_WARNING, 58);
export const ECA_CONNSEQTMO = DEFMSG(CA_K_WARNING, 59);
export const ECA_UNRESPTMO = DEFMSG(CA_K_WARNING, 60);

/** access.cpp `ca_message_text[]`, indexed by message number (`CA_EXTRACT_MSG_NO`). */
const CA_MESSAGE_TEXT = [
  'Normal successful completion',
  'Maximum simultaneous IOC connections exceeded',
  'Unknown internet host',
  'Unknown internet service',
  'Unable to allocate a new socket',
  'Unable to connect to internet host or service',
  'Unable to allocate additional dynamic memory',
  'Unknown IO channel',
  'Record field specified inappropriate for channel specified',
  'The requested data transfer is greater than available memory or EPICS_CA_MAX_ARRAY_BYTES',
  'User specified timeout on IO operation expired',
  'Sorry, that feature is planned but not supported at this time',
  'The supplied string is unusually large',
  'The request was ignored because the specified channel is disconnected',
  'The data type specifed is invalid',
  'Remote Channel not found',
  'Unable to locate all user specified channels',
  'Channel Access Internal Failure',
  'The requested local DB operation failed',
  'Channel read request failed',
  'Channel write request failed',
  'Channel subscription request failed',
  'Invalid element count requested',
  'Invalid string',
  'Virtual circuit disconnect',
  'Identical process variable names on multiple servers',
  'Request inappropriate within subscription (monitor) update callback',
  'Database value get for that channel failed during channel search',
  'Unable to initialize without the vxWorks VX_FP_TASK task option set',
  'Event queue overflow has prevented first pass event after event add',
  'Bad event subscription (monitor) identifier',
  'Remote channel has new network address',
  'New or resumed network connection',
  'Specified task isnt a member of a CA context',
  'Attempt to use defunct CA feature failed',
  'The supplied string is empty',
  'Unable to spawn the CA repeater thread- auto reconnect will fail',
  'No channel id match for search reply- search reply ignored',
  'Reseting dead connection- will try to reconnect',
  'Server (IOC) has fallen behind or is not responding- still waiting',
  'No internet interface with broadcast available',
  'Invalid event selection mask',
  'IO operations have completed',
  'IO operations are in progress',
  'Invalid synchronous group identifier',
  'Put callback timed out',
  'Read access denied',
  'Write access denied',
  'Requested feature is no longer supported',
  'Empty PV search address list',
  'No reasonable data conversion between client and server types',
  'Invalid channel identifier',
  'Invalid function pointer',
  'Thread is already attached to a client context',
  'Not supported by attached service',
  'User destroyed channel',
  'Invalid channel priority',
  'Preemptive callback not enabled - additional threads may not join context',
  "Client's protocol revision does not support transfers exceeding 16k bytes",
  'Virtual circuit connection sequence aborted',
  'Virtual circuit unresponsive',
] as const;

const ECA_NAMES: Record<number, string> = {
  [ECA_NORMAL]: 'ECA_NORMAL', [ECA_ALLOCMEM]: 'ECA_ALLOCMEM', [ECA_TOLARGE]: 'ECA_TOLARGE',
  [ECA_TIMEOUT]: 'ECA_TIMEOUT', [ECA_BADTYPE]: 'ECA_BADTYPE', [ECA_INTERNAL]: 'ECA_INTERNAL',
  [ECA_GETFAIL]: 'ECA_GETFAIL', [ECA_PUTFAIL]: 'ECA_PUTFAIL', [ECA_BADCOUNT]: 'ECA_BADCOUNT',
  [ECA_BADSTR]: 'ECA_BADSTR', [ECA_DISCONN]: 'ECA_DISCONN', [ECA_DBLCHNL]: 'ECA_DBLCHNL',
  [ECA_EVDISALLOW]: 'ECA_EVDISALLOW', [ECA_BADMONID]: 'ECA_BADMONID', [ECA_BADMASK]: 'ECA_BADMASK',
  [ECA_IODONE]: 'ECA_IODONE', [ECA_IOINPROGRESS]: 'ECA_IOINPROGRESS', [ECA_BADSYNCGRP]: 'ECA_BADSYNCGRP',
  [ECA_PUTCBINPROG]: 'ECA_PUTCBINPROG', [ECA_NORDACCESS]: 'ECA_NORDACCESS', [ECA_NOWTACCESS]: 'ECA_NOWTACCESS',
  [ECA_ANACHRONISM]: 'ECA_ANACHRONISM', [ECA_NOSEARCHADDR]: 'ECA_NOSEARCHADDR', [ECA_NOCONVERT]: 'ECA_NOCONVERT',
  [ECA_BADCHID]: 'ECA_BADCHID', [ECA_BADFUNCPTR]: 'ECA_BADFUNCPTR', [ECA_ISATTACHED]: 'ECA_ISATTACHED',
  [ECA_UNAVAILINSERV]: 'ECA_UNAVAILINSERV', [ECA_CHANDESTROY]: 'ECA_CHANDESTROY',
  [ECA_BADPRIORITY]: 'ECA_BADPRIORITY', [ECA_NOTTHREADED]: 'ECA_NOTTHREADED',
  [ECA_16KARRAYCLIENT]: 'ECA_16KARRAYCLIENT', [ECA_CONNSEQTMO]: 'ECA_CONNSEQTMO', [ECA_UNRESPTMO]: 'ECA_UNRESPTMO',
};

/** libca's `ca_message()`: the text for an ECA status code. */
export function caMessage(status: number): string {
  return CA_MESSAGE_TEXT[CA_EXTRACT_MSG_NO(status)] ?? 'new CA message number known only by server - see caerr.h';
}

/** 'ECA_NOWTACCESS' for 376; 'ECA_<code>' for a code with no live name. */
export function ecaName(status: number): string {
  return ECA_NAMES[status] ?? `ECA_${status}`;
}

/** Whether a status reports success (`CA_EXTRACT_SUCCESS`), as ECA_NORMAL does. */
export function ecaSucceeded(status: number): boolean {
  return CA_EXTRACT_SUCCESS(status) === 1;
}

// ---- alarm.h ------------------------------------------------------------------------------------

export const NO_ALARM = 0;
export const MINOR_ALARM = 1;
export const MAJOR_ALARM = 2;
export const INVALID_ALARM = 3;
export const ALARM_NSEV = INVALID_ALARM + 1;

export const READ_ALARM = 1;
export const WRITE_ALARM = 2;
export const HIHI_ALARM = 3;
export const HIGH_ALARM = 4;
export const LOLO_ALARM = 5;
export const LOW_ALARM = 6;
export const STATE_ALARM = 7;
export const COS_ALARM = 8;
export const COMM_ALARM = 9;
export const TIMEOUT_ALARM = 10;
export const HW_LIMIT_ALARM = 11;
export const CALC_ALARM = 12;
export const SCAN_ALARM = 13;
export const LINK_ALARM = 14;
export const SOFT_ALARM = 15;
export const BAD_SUB_ALARM = 16;
export const UDF_ALARM = 17;
export const DISABLE_ALARM = 18;
export const SIMM_ALARM = 19;
export const READ_ACCESS_ALARM = 20;
export const WRITE_ACCESS_ALARM = 21;
export const ALARM_NSTATUS = WRITE_ACCESS_ALARM + 1;

/** alarm.h `epicsAlarmSeverityStrings` */
export const epicsAlarmSeverityStrings = ['NO_ALARM', 'MINOR', 'MAJOR', 'INVALID'] as const;
/** alarm.h `epicsAlarmConditionStrings` */
export const epicsAlarmConditionStrings = [
  'NO_ALARM', 'READ', 'WRITE', 'HIHI', 'HIGH', 'LOLO', 'LOW', 'STATE', 'COS', 'COMM', 'TIMEOUT', 'HWLIMIT',
  'CALC', 'SCAN', 'LINK', 'SOFT', 'BAD_SUB', 'UDF', 'DISABLE', 'SIMM', 'READ_ACCESS', 'WRITE_ACCESS',
] as const;

export type AlarmSeverityName = (typeof epicsAlarmSeverityStrings)[number];
export type AlarmStatusName = (typeof epicsAlarmConditionStrings)[number];

/** 'MAJOR' for 2; the number itself as text when out of range (a peer's bug must not crash a log line). */
export function alarmSeverityName(severity: number): string {
  return epicsAlarmSeverityStrings[severity] ?? String(severity);
}

/** 'HIHI' for 3; the number itself as text when out of range. */
export function alarmStatusName(status: number): string {
  return epicsAlarmConditionStrings[status] ?? String(status);
}

/** 2 for 'MAJOR' (case-insensitive; `MAJOR_ALARM` also accepted), undefined for an unknown name. */
export function alarmSeverityFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const index = (epicsAlarmSeverityStrings as readonly string[]).indexOf(upper === 'NO_ALARM' ? upper : upper.replace(/_ALARM$/, ''));
  return index === -1 ? undefined : index;
}

/** 3 for 'HIHI' (case-insensitive; `HIHI_ALARM` and `HW_LIMIT` also accepted), undefined for an unknown name. */
export function alarmStatusFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const bare = upper === 'NO_ALARM' ? upper : upper.replace(/_ALARM$/, '').replace(/^HW_LIMIT$/, 'HWLIMIT');
  const index = (epicsAlarmConditionStrings as readonly string[]).indexOf(bare);
  return index === -1 ? undefined : index;
}

// ---- epicsTime.h --------------------------------------------------------------------------------

/** Seconds from the POSIX epoch (1970) to the EPICS epoch (1990-01-01 00:00:00 UTC). */
export const POSIX_TIME_AT_EPICS_EPOCH = 631152000;
