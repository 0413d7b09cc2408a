"""A Channel Access client we did not write (Debian's libca through pyepics), driven by JSON lines.

Run with Debian's /usr/bin/python3. Reads one JSON command per line on stdin and prints one JSON
answer per line; the first line printed says whether `import epics` worked. Commands (`op`):
  get      {name, form: native|time|ctrl, as_string, count, timeout}
  put      {name, value, wait, timeout}
  monitor  {name, id, form}              start a subscription; its updates are kept under `id`
  events   {id, min, timeout}            wait until `min` updates arrived, return and clear them
  state    {name, timeout}               connection and access rights
  quit
"""
import json
import sys
import threading
import time

try:
    import epics
    import epics.ca
except Exception as exc:  # pragma: no cover - reported to the test, which skips
    print(json.dumps({'ready': False, 'error': '%s: %s' % (type(exc).__name__, exc)}), flush=True)
    sys.exit(0)

PVS = {}
MONITORS = {}
LOCK = threading.Condition()


def plain(value):
    """numpy arrays and scalars, bytes -> JSON-able values"""
    if hasattr(value, 'tolist'):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def pv_for(name, form='time'):
    key = (name, form)
    if key not in PVS:
        PVS[key] = epics.PV(name, form=form, auto_monitor=False)
    return PVS[key]


def do_get(cmd):
    form = cmd.get('form', 'time')
    pv = pv_for(cmd['name'], form)
    timeout = cmd.get('timeout', 5.0)
    if not pv.wait_for_connection(timeout=timeout):
        return {'ok': False, 'error': 'not connected'}
    value = pv.get(timeout=timeout, use_monitor=False, as_string=cmd.get('as_string', False), count=cmd.get('count'))
    if value is None:
        return {'ok': False, 'error': 'get timed out'}
    answer = {'ok': True, 'value': plain(value), 'type': pv.type, 'count': pv.count, 'nelm': pv.nelm,
              'status': pv.status, 'severity': pv.severity, 'timestamp': pv.timestamp,
              'read_access': pv.read_access, 'write_access': pv.write_access}
    if form == 'ctrl':
        ctrl = pv.get_ctrlvars(timeout=timeout) or {}
        answer['ctrl'] = {k: plain(v) for k, v in ctrl.items()}
    return answer


def do_put(cmd):
    pv = pv_for(cmd['name'], 'native')
    timeout = cmd.get('timeout', 5.0)
    if not pv.wait_for_connection(timeout=timeout):
        return {'ok': False, 'error': 'not connected'}
    try:
        result = pv.put(cmd['value'], wait=cmd.get('wait', True), timeout=timeout)
    except Exception as exc:
        return {'ok': False, 'error': str(exc).strip()}
    return {'ok': True, 'result': result}


def do_monitor(cmd):
    key = cmd['id']
    MONITORS[key] = {'events': [], 'connections': []}

    def on_change(value=None, status=None, severity=None, timestamp=None, **_):
        with LOCK:
            MONITORS[key]['events'].append({'value': plain(value), 'status': status, 'severity': severity, 'timestamp': timestamp})
            LOCK.notify_all()

    def on_connection(conn=None, **_):
        with LOCK:
            MONITORS[key]['connections'].append(bool(conn))
            LOCK.notify_all()

    pv = epics.PV(cmd['name'], form=cmd.get('form', 'time'), callback=on_change, connection_callback=on_connection, auto_monitor=True)
    MONITORS[key]['pv'] = pv
    return {'ok': pv.wait_for_connection(timeout=cmd.get('timeout', 5.0))}


def do_events(cmd):
    monitor = MONITORS[cmd['id']]
    deadline = time.time() + cmd.get('timeout', 5.0)
    with LOCK:
        while len(monitor['events']) < cmd.get('min', 1) and time.time() < deadline:
            LOCK.wait(timeout=max(0.0, deadline - time.time()))
        events, monitor['events'] = monitor['events'], []
        connections, monitor['connections'] = monitor['connections'], []
    return {'ok': True, 'events': events, 'connections': connections}


def do_state(cmd):
    pv = pv_for(cmd['name'], 'native')
    connected = pv.wait_for_connection(timeout=cmd.get('timeout', 5.0))
    return {'ok': True, 'connected': bool(connected), 'read_access': pv.read_access, 'write_access': pv.write_access,
            'type': pv.type if connected else None, 'count': pv.count if connected else None}


HANDLERS = {'get': do_get, 'put': do_put, 'monitor': do_monitor, 'events': do_events, 'state': do_state}


def main():
    print(json.dumps({'ready': True, 'libca': epics.ca.find_libca()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get('op') == 'quit':
            break
        try:
            answer = HANDLERS[cmd['op']](cmd)
        except Exception as exc:
            answer = {'ok': False, 'error': '%s: %s' % (type(exc).__name__, exc)}
        print(json.dumps(answer), flush=True)
    epics.ca.finalize_libca()


if __name__ == '__main__':
    main()
