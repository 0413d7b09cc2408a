/**
 * The EPICS `.db` subset the soft IOC loads (spec §5.4): `record(type, "NAME") { field(F, "v") … }`
 * for ai, ao, bi, bo, mbbi, mbbo, longin, longout, stringin, stringout and waveform, with `$(MACRO)`
 * substitution. Each declared field other than VAL is also served, read-only, as `NAME.FIELD`.
 * Anything else is reported in `warnings` and skipped, as an IOC warns about what it cannot load.
 */
import { epicsAlarmSeverityStrings } from '../../ca/constants.ts';
import { PvDefinitionError, parsePvDefinition, type PvDefinition, type PvTypeName } from '../definition.ts';

export interface DbLoadResult {
  definitions: PvDefinition[];
  warnings: string[];
}

const STATE_FIELDS = ['ZRST', 'ONST', 'TWST', 'THST', 'FRST', 'FVST', 'SXST', 'SVST', 'EIST', 'NIST', 'TEST', 'ELST', 'TVST', 'TTST', 'FTST', 'FFST'];
const COMMON_FIELDS = ['VAL', 'DESC'];
const ANALOG_FIELDS = ['EGU', 'HOPR', 'LOPR', 'HIHI', 'HIGH', 'LOW', 'LOLO', 'HHSV', 'HSV', 'LSV', 'LLSV'];
const RECORD_FIELDS: Record<string, string[]> = {
  ai: [...ANALOG_FIELDS, 'PREC'],
  ao: [...ANALOG_FIELDS, 'PREC', 'DRVH', 'DRVL'],
  longin: ANALOG_FIELDS,
  longout: [...ANALOG_FIELDS, 'DRVH', 'DRVL'],
  bi: ['ZNAM', 'ONAM'],
  bo: ['ZNAM', 'ONAM'],
  mbbi: STATE_FIELDS,
  mbbo: STATE_FIELDS,
  stringin: [],
  stringout: [],
  waveform: ['NELM', 'FTVL', 'EGU', 'PREC', 'HOPR', 'LOPR'],
};
const FTVL_TYPES: Record<string, PvTypeName> = {
  DOUBLE: 'double', FLOAT: 'float', LONG: 'long', ULONG: 'long', INT64: 'double', UINT64: 'double',
  SHORT: 'short', USHORT: 'long', CHAR: 'char', UCHAR: 'char', STRING: 'string', ENUM: 'enum',
};
const NUMERIC_FIELDS = new Set(['HOPR', 'LOPR', 'HIHI', 'HIGH', 'LOW', 'LOLO', 'DRVH', 'DRVL']);
const SEVERITY_FIELDS = new Set(['HHSV', 'HSV', 'LSV', 'LLSV']);

/** `P=SIM:,R=1` → {P: 'SIM:', R: '1'} */
export function parseMacros(text: string | undefined): Record<string, string> {
  const macros: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PvDefinitionError(`macro '${pair}' is not NAME=VALUE`);
    macros[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return macros;
}

/** `$(NAME)`, `${NAME}` and `$(NAME=default)`; an undefined macro is left as written and warned about. */
export function substituteMacros(text: string, macros: Record<string, string>, warnings: string[]): string {
  return text.replace(/\$(?:\(([^)=]+)(?:=([^)]*))?\)|\{([^}=]+)(?:=([^}]*))?\})/g, (match, paren?: string, parenDefault?: string, brace?: string, braceDefault?: string) => {
    const name = (paren ?? brace)!;
    const value = macros[name] ?? parenDefault ?? braceDefault;
    if (value === undefined) warnings.push(`macro $(${name}) is not defined; left as is`);
    return value ?? match;
  });
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string; line: number };

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s+|#[^\n]*|"((?:[^"\\\n]|\\.)*)"|([(){},])|([^\s(){},"#]+)/y;
  let line = 1;
  while (pattern.lastIndex < text.length) {
    const match = pattern.exec(text);
    if (!match) throw new PvDefinitionError(`${source}:${line}: unterminated string`);
    if (match[1] !== undefined) tokens.push({ kind: 'string', text: match[1].replace(/\\(.)/g, '$1'), line });
    else if (match[2] !== undefined) tokens.push({ kind: 'punct', text: match[2], line });
    else if (match[3] !== undefined) tokens.push({ kind: 'word', text: match[3], line });
    line += match[0].split('\n').length - 1;
  }
  return tokens;
}

class TokenStream {
  #index = 0;
  constructor(readonly tokens: Token[], readonly source: string) {}
  get done(): boolean {
    return this.#index >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.#index];
  }
  next(): Token {
    const token = this.tokens[this.#index++];
    if (!token) throw new PvDefinitionError(`${this.source}: unexpected end of file`);
    return token;
  }
  expect(text: string): void {
    const token = this.next();
    if (token.text !== text || token.kind === 'string') throw new PvDefinitionError(`${this.source}:${token.line}: expected '${text}', found '${token.text}'`);
  }
  /** `( a, b, … )` as the list of its values */
  args(): string[] {
    this.expect('(');
    const values: string[] = [];
    for (let token = this.next(); token.text !== ')' || token.kind === 'string'; token = this.next()) {
      if (token.kind === 'punct' && token.text === ',') continue;
      if (token.kind === 'punct') throw new PvDefinitionError(`${this.source}:${token.line}: unexpected '${token.text}'`);
      values.push(token.text);
    }
    return values;
  }
  /** skips a `{ … }` block, nested blocks included */
  skipBlock(): void {
    if (this.peek()?.text !== '{') return;
    let depth = 0;
    do {
      const token = this.next();
      if (token.kind === 'punct' && token.text === '{') depth++;
      if (token.kind === 'punct' && token.text === '}') depth--;
    } while (depth > 0);
  }
}

function number(name: string, field: string, text: string, warnings: string[]): number | undefined {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    warnings.push(`${name}.${field}: '${text}' is not a number; ignored`);
    return undefined;
  }
  return value;
}

function recordDefinition(type: string, name: string, fields: Map<string, string>, warnings: string[]): PvDefinition {
  const num = (field: string): number | undefined => (fields.has(field) ? number(name, field, fields.get(field)!, warnings) : undefined);
  const severity = (field: string): string => fields.get(field) ?? 'NO_ALARM';
  const raw: Record<string, unknown> = { name, description: fields.get('DESC') };
  if (type === 'bi' || type === 'bo') {
    Object.assign(raw, { type: 'enum', states: [fields.get('ZNAM') ?? '', fields.get('ONAM') ?? ''], value: num('VAL') });
  } else if (type === 'mbbi' || type === 'mbbo') {
    const last = STATE_FIELDS.findLastIndex((f) => fields.has(f));
    Object.assign(raw, { type: 'enum', states: STATE_FIELDS.slice(0, last + 1).map((f) => fields.get(f) ?? ''), value: num('VAL') });
  } else if (type === 'stringin' || type === 'stringout') {
    Object.assign(raw, { type: 'string', value: fields.get('VAL') });
  } else if (type === 'waveform') {
    const ftvl = (fields.get('FTVL') ?? 'DOUBLE').toUpperCase();
    const elementType = FTVL_TYPES[ftvl] ?? (warnings.push(`${name}.FTVL: '${ftvl}' is not supported; DOUBLE used`), 'double');
    let value: unknown;
    if (fields.has('VAL')) {
      try {
        value = JSON.parse(fields.get('VAL')!);
      } catch {
        warnings.push(`${name}.VAL: a waveform value must be a JSON array such as [1,2,3]; ignored`);
      }
    }
    Object.assign(raw, { type: elementType, count: num('NELM') ?? 1, value, units: fields.get('EGU'), precision: num('PREC'), limits: { disp_high: num('HOPR'), disp_low: num('LOPR') } });
  } else {
    const analog = type === 'ai' || type === 'ao';
    Object.assign(raw, {
      type: analog ? 'double' : 'long',
      value: num('VAL'),
      units: fields.get('EGU'),
      precision: analog ? num('PREC') : undefined,
      limits: {
        disp_high: num('HOPR'), disp_low: num('LOPR'), alarm_high: num('HIHI'), warn_high: num('HIGH'), warn_low: num('LOW'), alarm_low: num('LOLO'),
        drv_high: num('DRVH'), drv_low: num('DRVL'), ctrl_high: num('DRVH'), ctrl_low: num('DRVL'),
      },
      // an IOC raises no limit alarm unless its severity field is set
      alarm_severities: { HIHI: severity('HHSV'), HIGH: severity('HSV'), LOW: severity('LSV'), LOLO: severity('LLSV') },
    });
  }
  return parsePvDefinition(raw, `record ${name}`);
}

/** the read-only `NAME.FIELD` PV for a declared field */
function fieldDefinition(record: string, field: string, value: string, warnings: string[]): PvDefinition | undefined {
  const name = `${record}.${field}`;
  if (SEVERITY_FIELDS.has(field)) {
    return { name, type: 'enum', states: [...epicsAlarmSeverityStrings], value, read_only: true };
  }
  if (NUMERIC_FIELDS.has(field)) {
    const parsed = number(record, field, value, warnings);
    return parsed === undefined ? undefined : { name, type: 'double', value: parsed, read_only: true };
  }
  if (field === 'PREC' || field === 'NELM') {
    const parsed = number(record, field, value, warnings);
    return parsed === undefined ? undefined : { name, type: field === 'PREC' ? 'short' : 'long', value: parsed, read_only: true };
  }
  return { name, type: 'string', value: value.slice(0, 39), read_only: true };
}

export function parseDbFile(text: string, macros: Record<string, string> = {}, source = '.db file'): DbLoadResult {
  const warnings: string[] = [];
  const stream = new TokenStream(tokenize(substituteMacros(text, macros, warnings), source), source);
  const definitions: PvDefinition[] = [];
  while (!stream.done) {
    const keyword = stream.next();
    if (keyword.kind !== 'word') throw new PvDefinitionError(`${source}:${keyword.line}: unexpected '${keyword.text}'`);
    const args = stream.peek()?.text === '(' ? stream.args() : [];
    if (keyword.text !== 'record' && keyword.text !== 'grecord') {
      warnings.push(`${source}:${keyword.line}: '${keyword.text}' is not supported; skipped`);
      stream.skipBlock();
      continue;
    }
    const [type = '', name = ''] = args;
    const fields = new Map<string, string>();
    if (stream.peek()?.text === '{') {
      stream.next();
      for (let token = stream.next(); !(token.kind === 'punct' && token.text === '}'); token = stream.next()) {
        const itemArgs = stream.peek()?.text === '(' ? stream.args() : [];
        if (token.text === 'field' && itemArgs.length === 2) fields.set(itemArgs[0]!.toUpperCase(), itemArgs[1]!);
        else warnings.push(`${source}:${token.line}: ${name}: '${token.text}' is not supported; skipped`);
      }
    }
    const known = RECORD_FIELDS[type];
    if (!known) {
      warnings.push(`${source}:${keyword.line}: record type '${type}' (${name}) is not supported; skipped`);
      continue;
    }
    for (const field of fields.keys()) {
      if (!known.includes(field) && !COMMON_FIELDS.includes(field)) {
        warnings.push(`${name}.${field} is not supported for ${type}; ignored`);
        fields.delete(field);
      }
    }
    definitions.push(recordDefinition(type, name, fields, warnings));
    for (const [field, value] of fields) {
      if (field === 'VAL') continue;
      const definition = fieldDefinition(name, field, value, warnings);
      if (definition) definitions.push(parsePvDefinition(definition, `field ${name}.${field}`));
    }
  }
  return { definitions, warnings };
}
