#ifndef ESTUARY_CLIBXML2_SHIM_H
#define ESTUARY_CLIBXML2_SHIM_H

// Debian's libxml2 headers pull in the system ICU headers, which clash with
// Foundation's bundled ICU in debug builds ('UErrorCode' has different
// definitions). Estuary never uses libxml2's ICU support.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/entities.h>

/// Frees memory allocated by libxml2. `xmlFree` is a global function pointer,
/// which Swift 6 rejects as not concurrency-safe.
static inline void estuary_xml_free(void *_Nullable p) { xmlFree(p); }

/// Returns whether the parser saw the document as well-formed so far.
static inline int estuary_xml_well_formed(xmlParserCtxtPtr _Nonnull ctxt) { return ctxt->wellFormed; }

/// After a recovered error, makes the context well-formed again; returns whether it was not.
/// libxml2 2.9 stops delivering XML's own entity references (`&amp;`, `&lt;`, ...) in text once
/// `wellFormed` is 0, even in recovery mode: every escaped tag after the first error would vanish.
static inline int estuary_xml_clear_recovered(xmlParserCtxtPtr _Nonnull ctxt) {
    if (ctxt->wellFormed) return 0;
    ctxt->wellFormed = 1;
    return 1;
}

/// Returns the libxml2 error code of the first fatal error, 0 if none.
static inline int estuary_xml_err_no(xmlParserCtxtPtr _Nonnull ctxt) { return ctxt->errNo; }

/// Returns the line the parser has reached.
static inline int estuary_xml_line(xmlParserCtxtPtr _Nonnull ctxt) { return ctxt->input ? ctxt->input->line : 0; }

/// Makes the parser stop at the next opportunity (used to cap work).
static inline void estuary_xml_stop(xmlParserCtxtPtr _Nonnull ctxt) { xmlStopParser(ctxt); }

#endif
