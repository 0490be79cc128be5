/**
 * The shape of the NASA Kennedy Space Center access logs (July 1995), as numbers the generator
 * draws from. The rates are counts in the public 124,979-line sample
 * (../shared/data/nasa/NASA_access_log_Jul95.head-124979.txt.gz) divided by its line count; the
 * rare statuses that sample lacks (400, 500, 501) use the complete month's counts.
 * Hosts are synthetic (see generate.ts); the paths below are pages of the public KSC site of the
 * time, so analyzer output on generated data reads like output on the real log.
 */

/** Lines in the July sample the rates below are measured on. */
export const SAMPLE_LINES = 124_979;

/** Mean lines per second of log time over the whole July 1995 log (1,891,715 lines in 31 days). */
export const JULY_1995_RATE = 1_891_715 / (31 * 86_400);

/** Counts per SAMPLE_LINES lines. A line can carry several quirks. */
export const COUNTS = {
  method: { HEAD: 103, POST: 1 },
  // 400/500/501 do not occur in the sample; these are the whole month's counts scaled to it.
  status: { 302: 4938, 304: 6904, 403: 5, 404: 607, 400: (5 * SAMPLE_LINES) / 1_891_715, 500: (62 * SAMPLE_LINES) / 1_891_715, 501: (14 * SAMPLE_LINES) / 1_891_715 },
  /** 302 replies whose bytes field is '-' (the rest carry a small body size). */
  redirectDashBytes: 640,
  /** status 200 with bytes '-' */
  okDashBytes: 4,
  /** status 200 with bytes 0 (interrupted transfers, the live video frame) */
  okZeroBytes: 300,
  /** "GET /url" (no protocol) */
  noProtocol: 250,
  /** "GET /url " (trailing space, no protocol) */
  trailingSpace: 9,
  /** "GET /url   HTTP/1.0" (a run of spaces before the protocol) */
  spacesBeforeProtocol: 78,
  /** "GET /url Some words HTTP/1.0" (extra text; 9 in all, of which 2 hold a run of spaces and 2 a 0x80 byte) */
  extraText: 5,
  extraTextWithSpaces: 2,
  /** "GET /shuttle/countdown/dy \x80?tracking%20station HTTP/1.0": the only non-ASCII bytes */
  invalidByte: 2,
  /** "GET /x HTTP/V1.0" */
  protocolV: 16,
  /** "GET :/facilities/tour.html HTTP/1.0" 404 - (URL not starting with '/') */
  urlWithoutSlash: 2,
} as const;

/** [path, weight (lines with status 200 in the sample), typical size in bytes] */
export const TOP_PAGES: ReadonlyArray<readonly [string, number, number]> = [
  ['/images/NASA-logosmall.gif', 6328, 786],
  ['/images/KSC-logosmall.gif', 5897, 1204],
  ['/shuttle/countdown/count.gif', 4646, 40310],
  ['/shuttle/countdown/', 4540, 3985],
  ['/shuttle/missions/sts-71/sts-71-patch-small.gif', 2817, 12054],
  ['/shuttle/missions/sts-71/images/images.html', 2611, 7634],
  ['/images/ksclogo-medium.gif', 2601, 5866],
  ['/images/MOSAIC-logosmall.gif', 2568, 363],
  ['/images/USA-logosmall.gif', 2564, 234],
  ['/images/launch-logo.gif', 2523, 1713],
  ['/images/WORLD-logosmall.gif', 2505, 669],
  ['/shuttle/missions/sts-71/mission-sts-71.html', 2485, 12169],
  ['/shuttle/countdown/video/livevideo.gif', 1934, 49152],
  ['/images/ksclogosmall.gif', 1908, 3635],
  ['/', 1894, 7074],
  ['/ksc.html', 1659, 7074],
  ['/shuttle/countdown/liftoff.html', 1597, 4538],
  ['/shuttle/missions/missions.html', 1564, 8677],
  ['/images/launchmedium.gif', 1262, 11853],
  ['/icons/blank.xbm', 937, 509],
  ['/icons/menu.xbm', 937, 527],
  ['/history/apollo/images/footprint-small.gif', 913, 18149],
  ['/history/apollo/images/footprint-logo.gif', 879, 4209],
  ['/history/apollo/apollo.html', 825, 3258],
  ['/history/apollo/apollo-13/apollo-13.html', 793, 18114],
  ['/history/apollo/images/apollo-logo.gif', 783, 3047],
  ['/htbin/cdt_main.pl', 701, 3214],
  ['/shuttle/missions/sts-71/movies/movies.html', 698, 3092],
  ['/icons/image.xbm', 674, 509],
  ['/shuttle/resources/orbiters/orbiters-logo.gif', 671, 1932],
  ['/history/history.html', 640, 1502],
  ['/icons/text.xbm', 639, 527],
  ['/history/apollo/apollo-13/apollo-13-patch-small.gif', 632, 12859],
  ['/shuttle/countdown/countdown.html', 619, 3985],
  ['/history/apollo/images/apollo-small.gif', 511, 9630],
  ['/shuttle/technology/sts-newsref/stsref-toc.html', 510, 84907],
  ['/shuttle/resources/orbiters/atlantis.html', 492, 7025],
  ['/shuttle/missions/sts-71/movies/crew-arrival-t38.mpg', 476, 305722],
  ['/shuttle/countdown/video/livevideo.jpeg', 472, 40992],
  ['/shuttle/resources/orbiters/atlantis-logo.gif', 440, 4179],
  ['/shuttle/missions/sts-71/images/KSC-95EC-0918.jpg', 405, 46888],
  ['/history/apollo/apollo-13/apollo-13-info.html', 398, 1583],
  ['/shuttle/countdown/lps/fr.html', 391, 1879],
  ['/images/kscmap-tiny.gif', 379, 2537],
  ['/software/winvn/winvn.html', 359, 9867],
  ['/htbin/cdt_clock.pl', 349, 543],
  ['/shuttle/missions/sts-71/images/KSC-95EC-0911.jpg', 342, 45966],
  ['/shuttle/missions/sts-71/movies/sts-71-launch-3.mpg', 334, 130724],
  ['/shuttle/missions/sts-71/images/KSC-95EC-0913.jpg', 327, 25439],
  ['/history/apollo/apollo-11/apollo-11.html', 327, 41397],
  ['/images/shuttle-patch-small.gif', 326, 4179],
  ['/shuttle/missions/sts-71/images/KSC-95EC-0917.jpg', 324, 52491],
  ['/images/shuttle-patch-logo.gif', 317, 891],
  ['/images/construct.gif', 313, 1414],
  ['/shuttle/countdown/lps/fr.gif', 311, 30232],
  ['/history/apollo/apollo-13/', 307, 1732],
  ['/shuttle/missions/sts-67/mission-sts-67.html', 297, 21408],
  ['/facilities/lc39a.html', 295, 7008],
  ['/shuttle/countdown/lps/back.gif', 294, 1289],
  ['/software/winvn/winvn.gif', 292, 25218],
];

/** Share of status-200 lines that go to pages outside TOP_PAGES (the long tail). */
export const LONG_TAIL_SHARE = 0.37;

/** Paths that answer 404 in the sample, with weights; the generator adds synthetic ones. */
export const NOT_FOUND: ReadonlyArray<readonly [string, number]> = [
  ['/pub/winvn/readme.txt', 54],
  ['/pub/winvn/release.txt', 48],
  ['/shuttle/resources/orbiters/atlantis.gif', 45],
  ['/history/apollo/publications/sp-350/sp-350.txt~', 29],
  ['/shuttle/missions/sts-71/images/KSC-95EC-0916.txt', 27],
  ['/://spacelink.msfc.nasa.gov', 16],
  ['/history/apollo/apollo-13.html', 13],
  ['/shuttle/missions/sts-68/ksc-upclose.gif', 12],
  ['/shuttle/missions/sts-XX/mission-sts-XX.html', 10],
  ['/shuttle/resources/orbiters/challenger.gif', 9],
  ['/shuttle/missions/sts-XX/sts-XX-press-kit.txt', 7],
  ['/shuttle/missions/technology/sts-newsref/stsref-toc.html', 6],
  ['/shuttle/technology/images/sts-comm-small.gif', 5],
];

/** Directory URLs without their slash, answered by a 302 to the slashed form. */
export const REDIRECT_DIRS: ReadonlyArray<readonly [string, number]> = [
  ['/shuttle/missions/sts-71/news', 207],
  ['/images', 97],
  ['/shuttle/missions/51-l/news', 54],
  ['/shuttle/countdown', 51],
  ['/shuttle/missions/sts-69/news', 32],
  ['/shuttle/missions/sts-70/news', 21],
  ['/shuttle', 19],
  ['/shuttle/missions/sts-78/news', 15],
  ['/history/apollo', 15],
  ['/shuttle/missions/sts-73/news', 13],
  ['/software', 10],
];

/** Share of 302 lines that are /cgi-bin/imagemap/countdown?X,Y clicks (4,298 of 4,938). */
export const IMAGEMAP_SHARE_OF_302 = 4298 / 4938;

/** Body sizes of 302 replies (bytes != '-'), with weights. */
export const REDIRECT_SIZES: ReadonlyArray<readonly [number, number]> = [
  [110, 1072], [96, 812], [68, 697], [111, 576], [98, 368], [95, 198], [85, 126], [97, 125], [81, 57],
];

/** Paths answered with 403 (requests for "directories" under a file). */
export const FORBIDDEN: readonly string[] = [
  '/shuttle/missions/sts-71/images/images/eksc-95pc-0423.jpg',
  '/software/winvn/winvn.html/winvn.gif',
  '/software/winvn/winvn.html/bluemarb.gif',
  '/shuttle/missions/sts-71/images/images.html/KSC-95EC-0913.gif',
];

export const EXTRA_TEXT: readonly string[] = [
  'Shuttle Launches from Kennedy Space Center',
  'sts71',
  'Shield',
  '@net.com',
  '/facts/facts.html',
];

export const SERVER_ERROR_PATHS: readonly string[] = ['/cgi-bin/newwvn-mail.pl', '/htbin/wais.pl', '/cgi-bin/imagemap/countdown'];

export const ORBITERS = ['atlantis', 'columbia', 'discovery', 'endeavour', 'challenger', 'enterprise'] as const;
export const WORDS = [
  'launch', 'crew', 'payload', 'orbiter', 'landing', 'mir', 'docking', 'station', 'tracking', 'weather',
  'countdown', 'facts', 'tour', 'history', 'gallery', 'video', 'news', 'status', 'press', 'schedule',
  'rocket', 'pad', 'vab', 'apollo', 'gemini', 'mercury', 'saturn', 'skylab', 'spacelab', 'hubble',
] as const;

/** Host-name building blocks in the style of 1995 dial-up pools, proxies and campus machines. */
/** Proxy farms (many users behind one name): the heaviest hosts of the real log are of this kind. */
export const PROXY_PATTERNS: readonly string[] = ['www-{l}{d}.proxy.aol.com', 'piweba{d}y.prodigy.com', 'proxy{d}.{isp}', 'gw{d}.{campus}'];
export const ISP_DOMAINS: readonly string[] = [
  'ix.netcom.com', 'compuserve.com', 'netcom.com', 'tiac.net', 'primenet.com', 'ime.net', 'mindspring.com',
  'interramp.com', 'csn.net', 'earthlink.net', 'gate.net', 'iquest.net', 'mcs.net', 'ionet.net',
  'execpc.com', 'teleport.com', 'ultranet.com', 'ro.com', 'skypoint.com', 'pipeline.com', 'jaxnet.com',
];
export const CAMPUS_DOMAINS: readonly string[] = [
  'cs.berkeley.edu', 'engin.umich.edu', 'ucs.indiana.edu', 'cc.gatech.edu', 'fiu.edu', 'ufl.edu',
  'missouri.edu', 'utexas.edu', 'colorado.edu', 'mit.edu', 'psu.edu', 'nasa.gov', 'gsfc.nasa.gov',
  'ksc.nasa.gov', 'jsc.nasa.gov', 'hensa.ac.uk', 'demon.co.uk', 'tu-berlin.de', 'uni-stuttgart.de',
  'inria.fr', 'saglac.qc.ca', 'carleton.ca', 'ubc.ca', 'monash.edu.au', 'starway.net.au', 'kyoto-u.ac.jp',
  'sun.ac.za', 'dircon.co.uk', 'rssi.ru', 'ac.nz',
];
export const CITIES = ['sd', 'sf', 'la', 'ny', 'ch', 'dc', 'den', 'sj', 'tam', 'hou', 'phi', 'sea', 'bos', 'atl', 'dal', 'oma'] as const;
