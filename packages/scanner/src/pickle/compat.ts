/**
 * Python 2 -> Python 3 name mapping applied by CPython's unpickler (`find_class` with
 * `fix_imports=True` when the pickle's protocol is < 3). Transcribed from `Lib/_compat_pickle.py`
 * (IMPORT_MAPPING and NAME_MAPPING, including the non-mutual additions and the exception names).
 */

const IMPORT_MAPPING: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  Queue: 'queue',
  SocketServer: 'socketserver',
  ConfigParser: 'configparser',
  repr: 'reprlib',
  tkFileDialog: 'tkinter.filedialog',
  tkSimpleDialog: 'tkinter.simpledialog',
  tkColorChooser: 'tkinter.colorchooser',
  tkCommonDialog: 'tkinter.commondialog',
  Dialog: 'tkinter.dialog',
  Tkdnd: 'tkinter.dnd',
  tkFont: 'tkinter.font',
  tkMessageBox: 'tkinter.messagebox',
  ScrolledText: 'tkinter.scrolledtext',
  Tkconstants: 'tkinter.constants',
  Tix: 'tkinter.tix',
  ttk: 'tkinter.ttk',
  Tkinter: 'tkinter',
  markupbase: '_markupbase',
  _winreg: 'winreg',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  dbhash: 'dbm.bsd',
  dumbdbm: 'dbm.dumb',
  dbm: 'dbm.ndbm',
  gdbm: 'dbm.gnu',
  xmlrpclib: 'xmlrpc.client',
  SimpleXMLRPCServer: 'xmlrpc.server',
  httplib: 'http.client',
  htmlentitydefs: 'html.entities',
  HTMLParser: 'html.parser',
  Cookie: 'http.cookies',
  cookielib: 'http.cookiejar',
  BaseHTTPServer: 'http.server',
  'test.test_support': 'test.support',
  commands: 'subprocess',
  urlparse: 'urllib.parse',
  robotparser: 'urllib.robotparser',
  urllib2: 'urllib.request',
  anydbm: 'dbm',
  _abcoll: 'collections.abc',
  // Non-mutual mappings.
  cPickle: 'pickle',
  _elementtree: 'xml.etree.ElementTree',
  FileDialog: 'tkinter.filedialog',
  SimpleDialog: 'tkinter.simpledialog',
  DocXMLRPCServer: 'xmlrpc.server',
  SimpleHTTPServer: 'http.server',
  CGIHTTPServer: 'http.server',
  UserDict: 'collections',
  UserList: 'collections',
  UserString: 'collections',
  whichdb: 'dbm',
  StringIO: 'io',
  cStringIO: 'io',
};

const NAME_MAPPING = new Map<string, [string, string]>([
  ['__builtin__\0xrange', ['builtins', 'range']],
  ['__builtin__\0reduce', ['functools', 'reduce']],
  ['__builtin__\0intern', ['sys', 'intern']],
  ['__builtin__\0unichr', ['builtins', 'chr']],
  ['__builtin__\0unicode', ['builtins', 'str']],
  ['__builtin__\0long', ['builtins', 'int']],
  ['itertools\0izip', ['builtins', 'zip']],
  ['itertools\0imap', ['builtins', 'map']],
  ['itertools\0ifilter', ['builtins', 'filter']],
  ['itertools\0ifilterfalse', ['itertools', 'filterfalse']],
  ['itertools\0izip_longest', ['itertools', 'zip_longest']],
  ['UserDict\0IterableUserDict', ['collections', 'UserDict']],
  ['UserList\0UserList', ['collections', 'UserList']],
  ['UserString\0UserString', ['collections', 'UserString']],
  ['whichdb\0whichdb', ['dbm', 'whichdb']],
  ['_socket\0fromfd', ['socket', 'fromfd']],
  ['_multiprocessing\0Connection', ['multiprocessing.connection', 'Connection']],
  ['multiprocessing.process\0Process', ['multiprocessing.context', 'Process']],
  ['multiprocessing.forking\0Popen', ['multiprocessing.popen_fork', 'Popen']],
  ['urllib\0ContentTooShortError', ['urllib.error', 'ContentTooShortError']],
  ['urllib\0getproxies', ['urllib.request', 'getproxies']],
  ['urllib\0pathname2url', ['urllib.request', 'pathname2url']],
  ['urllib\0quote_plus', ['urllib.parse', 'quote_plus']],
  ['urllib\0quote', ['urllib.parse', 'quote']],
  ['urllib\0unquote_plus', ['urllib.parse', 'unquote_plus']],
  ['urllib\0unquote', ['urllib.parse', 'unquote']],
  ['urllib\0url2pathname', ['urllib.request', 'url2pathname']],
  ['urllib\0urlcleanup', ['urllib.request', 'urlcleanup']],
  ['urllib\0urlencode', ['urllib.parse', 'urlencode']],
  ['urllib\0urlopen', ['urllib.request', 'urlopen']],
  ['urllib\0urlretrieve', ['urllib.request', 'urlretrieve']],
  ['urllib2\0HTTPError', ['urllib.error', 'HTTPError']],
  ['urllib2\0URLError', ['urllib.error', 'URLError']],
  ['__builtin__\0basestring', ['builtins', 'str']],
  ['exceptions\0StandardError', ['builtins', 'Exception']],
  ['UserDict\0UserDict', ['collections', 'UserDict']],
  ['socket\0_socketobject', ['socket', 'SocketType']],
]);

const PYTHON2_EXCEPTIONS = [
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BaseException', 'BufferError', 'BytesWarning',
  'DeprecationWarning', 'EOFError', 'EnvironmentError', 'Exception', 'FloatingPointError', 'FutureWarning',
  'GeneratorExit', 'IOError', 'ImportError', 'ImportWarning', 'IndentationError', 'IndexError', 'KeyError',
  'KeyboardInterrupt', 'LookupError', 'MemoryError', 'NameError', 'NotImplementedError', 'OSError',
  'OverflowError', 'PendingDeprecationWarning', 'ReferenceError', 'RuntimeError', 'RuntimeWarning',
  'StopIteration', 'SyntaxError', 'SyntaxWarning', 'SystemError', 'SystemExit', 'TabError', 'TypeError',
  'UnboundLocalError', 'UnicodeDecodeError', 'UnicodeEncodeError', 'UnicodeError', 'UnicodeTranslateError',
  'UnicodeWarning', 'UserWarning', 'ValueError', 'Warning', 'ZeroDivisionError',
];
for (const e of PYTHON2_EXCEPTIONS) NAME_MAPPING.set(`exceptions\0${e}`, ['builtins', e]);
for (const e of ['AuthenticationError', 'BufferTooShort', 'ProcessError', 'TimeoutError']) {
  NAME_MAPPING.set(`multiprocessing\0${e}`, ['multiprocessing.context', e]);
}

/**
 * What `find_class(module, name)` imports when the Python 2 fixes apply (protocol < 3): returns
 * the mapped pair, or the input unchanged when no rule matches.
 */
export function mapPython2Name(module: string, name: string): [string, string] {
  const byName = NAME_MAPPING.get(`${module}\0${name}`);
  if (byName) return [byName[0], byName[1]];
  const mod = IMPORT_MAPPING[module];
  if (mod !== undefined && Object.prototype.hasOwnProperty.call(IMPORT_MAPPING, module)) return [mod, name];
  return [module, name];
}
