/*
 * The messages for YAML that libyaml cannot read: the line and column of
 * the problem and the key path reached there, found by parsing the text
 * again as events, and the check of flow collections nested too deeply,
 * made before libyaml reads the whole text.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "common/config.h"
#include "common/config_loader.h"

/*
 * Key path tracking for syntax errors. libyaml's loader gives back no
 * tree when the text is invalid, so the text is parsed again as events,
 * and a stack of the open collections gives the path reached. Each
 * frame is a mapping, with the key whose value is being read, or a
 * sequence, with the index of the item being read.
 */
#define PATH_FRAMES 64 /* NOTE: a path deeper than this is cut there */

struct path_frame {
	bool mapping;
	bool in_value;       /* mapping: its key is read, the value is not */
	size_t index;        /* sequence: items read so far */
	char key[64];
};

struct path_stack {
	struct path_frame frames[PATH_FRAMES];
	size_t depth;        /* may exceed PATH_FRAMES */
	/*
	 * The last event, when it was a scalar read as a mapping's value or
	 * a sequence's item: its key path and where it lies.
	 */
	bool last_is_value;
	char last_path[KEY_PATH_MAX];
	yaml_mark_t last_start;
	yaml_mark_t last_end;
};

static struct path_frame *
path_top(struct path_stack *stack)
{
	if (stack->depth == 0 || stack->depth > PATH_FRAMES)
		return NULL;
	return &stack->frames[stack->depth - 1];
}

/*
 * Accounts for a whole node (scalar, alias or collection) in its parent.
 * <key> names the node when it is a mapping's key; NULL keeps the name
 * set when the node started.
 */
static void
path_node_done(struct path_stack *stack, const char *key)
{
	struct path_frame *top = path_top(stack);

	if (top == NULL)
		return;
	if (!top->mapping) {
		top->index++;
	} else if (!top->in_value) {
		if (key != NULL)
			snprintf(top->key, sizeof(top->key), "%s", key);
		top->in_value = true;
	} else {
		top->in_value = false;
	}
}

static void
path_format(const struct path_stack *stack, bool node, char *path,
	    size_t len);

static void
path_event(struct path_stack *stack, const yaml_event_t *event)
{
	struct path_frame *frame = path_top(stack);

	stack->last_is_value = event->type == YAML_SCALAR_EVENT &&
			       frame != NULL &&
			       (!frame->mapping || frame->in_value);
	if (stack->last_is_value) {
		path_format(stack, true, stack->last_path,
			    sizeof(stack->last_path));
		stack->last_start = event->start_mark;
		stack->last_end = event->end_mark;
	}
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		path_node_done(stack, (const char *)event->data.scalar.value);
		break;
	case YAML_ALIAS_EVENT:
		path_node_done(stack, "*alias");
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		frame = path_top(stack);
		/* A collection as a key: name the key by its kind. */
		if (frame != NULL && frame->mapping && !frame->in_value)
			snprintf(frame->key, sizeof(frame->key), "(complex key)");
		stack->depth++;
		frame = path_top(stack);
		if (frame != NULL) {
			memset(frame, 0, sizeof(*frame));
			frame->mapping = event->type == YAML_MAPPING_START_EVENT;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (stack->depth > 0)
			stack->depth--;
		path_node_done(stack, NULL);
		break;
	default:
		break;
	}
}

/*
 * Writes into <path> the key path of the open collections. The innermost
 * mapping adds its key only when the error is in that key's value. The
 * innermost sequence adds the index of the item being read only with
 * <node>, when that item is known to have begun.
 */
static void
path_format(const struct path_stack *stack, bool node, char *path,
	    size_t len)
{
	size_t depth = stack->depth < PATH_FRAMES ? stack->depth : PATH_FRAMES;
	size_t used = 0;
	size_t i;

	path[0] = '\0';
	for (i = 0; i < depth && used < len; i++) {
		const struct path_frame *f = &stack->frames[i];
		bool innermost = i + 1 == stack->depth;
		int n = 0;

		if (f->mapping && f->in_value)
			n = snprintf(path + used, len - used, "%s%s",
				     used > 0 ? "." : "", f->key);
		else if (!f->mapping && (!innermost || node))
			n = snprintf(path + used, len - used, "[%zu]",
				     f->index);
		if (n > 0)
			used += (size_t)n;
	}
}

/*
 * Returns true when the error at <mark> lies on the last line of the
 * scalar read last, and that scalar, a value or an item, spans several
 * lines. libyaml reads a plain scalar over several lines before it finds
 * an error there (a ': ' on a continuation line, say), so the scalar has
 * been passed on and its key is no longer the one being read.
 */
static bool
error_in_last_scalar(const struct path_stack *stack, const yaml_mark_t *mark)
{
	return stack->last_is_value &&
	       stack->last_start.line < stack->last_end.line &&
	       mark->line == stack->last_end.line;
}

/*
 * Parses <text> as events up to the first error, or up to the event that
 * starts at or after <stop> when <stop> is not NULL (a composer error,
 * such as an unknown alias, happens after its events were read), and
 * writes the key path reached into <path>: "" at the top level.
 * <scanned> is the place of a scanner error, which may lie in a scalar
 * already read (error_in_last_scalar()), or NULL.
 */
static void
syntax_error_path(const char *text, size_t text_len, const yaml_mark_t *stop,
		  const yaml_mark_t *scanned, char *path, size_t len)
{
	struct path_stack stack;
	yaml_parser_t parser;
	yaml_event_t event;

	path[0] = '\0';
	memset(&stack, 0, sizeof(stack));
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     text_len);
	while (yaml_parser_parse(&parser, &event)) {
		bool end = event.type == YAML_STREAM_END_EVENT ||
			   (stop != NULL &&
			    event.start_mark.index >= stop->index);

		if (!end)
			path_event(&stack, &event);
		yaml_event_delete(&event);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	if (scanned != NULL && error_in_last_scalar(&stack, scanned))
		snprintf(path, len, "%s", stack.last_path);
	else
		path_format(&stack, false, path, len);
}

/*
 * Finds the line and column (1-based, in characters) of byte <offset> of
 * <text>. libyaml reports a byte it cannot decode by offset only.
 */
static void
offset_position(const char *text, size_t text_len, size_t offset,
		size_t *line, size_t *column)
{
	size_t i;

	*line = 1;
	*column = 1;
	for (i = 0; i < offset && i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			(*line)++;
			*column = 1;
		} else if ((c & 0xc0) != 0x80) {
			/* Only the first byte of a UTF-8 character counts. */
			(*column)++;
		}
	}
}

/*
 * Formats libyaml's error for <text> as "FILE:LINE:COL: KEY: invalid
 * YAML: problem", without KEY at the top level. Returns -EINVAL.
 */
int
cfg_syntax_error(struct loader *ld, const yaml_parser_t *parser,
		 const char *text, size_t text_len)
{
	const yaml_mark_t *mark = parser->problem ? &parser->problem_mark :
						    &parser->context_mark;
	const char *problem = parser->problem ? parser->problem :
						"unknown error";
	char path[KEY_PATH_MAX];
	char value[32] = "";
	size_t line = mark->line + 1;
	size_t column = mark->column + 1;

	if (parser->error == YAML_READER_ERROR) {
		/*
		 * libyaml decodes the text ahead of the parser, so the key
		 * path reached does not show where the byte is.
		 */
		offset_position(text, text_len, parser->problem_offset, &line,
				&column);
		path[0] = '\0';
		if (parser->problem_value == 0)
			snprintf(value, sizeof(value), " (a NUL byte)");
		else if (parser->problem_value > 0)
			snprintf(value, sizeof(value), " (0x%02x)",
				 (unsigned int)parser->problem_value);
	} else {
		syntax_error_path(text, text_len,
				  parser->error == YAML_COMPOSER_ERROR ? mark :
									 NULL,
				  parser->error == YAML_SCANNER_ERROR ? mark :
									NULL,
				  path, sizeof(path));
	}
	snprintf(ld->err, ld->err_len, "%s:%zu:%zu: %s%sinvalid YAML: %s%s%s%s",
		 ld->name, line, column, path, path[0] ? ": " : "", problem,
		 value, parser->context ? " " : "",
		 parser->context ? parser->context : "");
	return -EINVAL;
}

/*
 * Returns the length in bytes of the UTF-8 sequence that <lead> starts,
 * or 0 when <lead> cannot start one.
 */
static size_t
utf8_width(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if ((lead & 0xe0) == 0xc0)
		return 2;
	if ((lead & 0xf0) == 0xe0)
		return 3;
	if ((lead & 0xf8) == 0xf0)
		return 4;
	return 0;
}

/*
 * Counts the characters of the UTF-8 <text> as libyaml's marks count them.
 * A byte order mark at the start is not counted, and every other byte
 * that is not a continuation byte starts a character.
 */
static size_t
count_characters(const char *text, size_t len)
{
	size_t count = 0;
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			count++;
	}
	return count;
}

/*
 * Returns true when the error <parser> stopped on, having read the first
 * <len> bytes of the UTF-8 <text>, lies before byte <len>, so that the
 * whole text has it too. An error at the end comes from the cut itself:
 * an unclosed collection, or a character cut in two (the reader's
 * "incomplete" errors, whose value is -1).
 */
static bool
error_before_cut(const yaml_parser_t *parser, const char *text, size_t len)
{
	const yaml_mark_t *mark = parser->problem ? &parser->problem_mark :
						    &parser->context_mark;
	size_t offset = parser->problem_offset;
	size_t width;

	switch (parser->error) {
	case YAML_READER_ERROR:
		if (offset >= len)
			return false;
		width = utf8_width((unsigned char)text[offset]);
		return parser->problem_value != -1 || offset + width <= len;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
	case YAML_COMPOSER_ERROR:
		/* libyaml's marks count characters, not bytes. */
		return mark->index < count_characters(text, len);
	default:
		return false;
	}
}

/*
 * Loads every document in the first <len> bytes of the UTF-8 <text>, and
 * formats libyaml's first error there as cfg_syntax_error() does, unless
 * it comes from the cut (error_before_cut()). Returns -EINVAL with the
 * message in ld->err, or 0 when there is no such error.
 */
static int
error_before(struct loader *ld, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	bool more = true;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return 0;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	while (more) {
		if (!yaml_parser_load(&parser, &doc)) {
			if (error_before_cut(&parser, text, len))
				rc = cfg_syntax_error(ld, &parser, text, len);
			break;
		}
		more = yaml_document_get_root_node(&doc) != NULL;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* Returns true when <text> starts with a UTF-16 byte order mark. */
static bool
is_utf16(const char *text, size_t len)
{
	return len >= 2 && (memcmp(text, "\xff\xfe", 2) == 0 ||
			    memcmp(text, "\xfe\xff", 2) == 0);
}

/*
 * Rejects flow collections ([...] and {...}) nested deeper than
 * MAX_FLOW_DEPTH before libyaml reads the text: its loader takes time
 * quadratic in the depth, so a few hundred kilobytes of '[' would stall
 * vigild's start-up for minutes. Quotes and comments are skipped, so a
 * bracket inside a string does not count.
 *
 * The file's first problem is the one reported. So when libyaml finds an
 * error in the text before the bracket that passes the limit, such as a
 * byte that is not UTF-8, a syntax error or an unknown alias, that error
 * is reported instead. Up to that bracket the nesting, as counted here,
 * is within the limit, so libyaml reads that part in little time.
 */
int
cfg_check_flow_depth(struct loader *ld, const char *text, size_t len)
{
	size_t line = 1, col = 1, i;
	unsigned int depth = 0;
	char quote = 0;
	bool comment = false;

	for (i = 0; i < len; i++, col++) {
		char c = text[i];

		if (c == '\n') {
			line++;
			col = 0;
			comment = false;
			continue;
		}
		if (comment)
			continue;
		if (quote != 0) {
			if (c == '\\' && quote == '"')
				i++, col++;
			else if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '#' && (i == 0 || text[i - 1] == ' ' ||
				 text[i - 1] == '\t' || text[i - 1] == '\n')) {
			comment = true;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '[' || c == '{') {
			if (++depth > MAX_FLOW_DEPTH)
				break;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	if (depth <= MAX_FLOW_DEPTH)
		return 0;
	/*
	 * NOTE: a UTF-16 file gets this message even after an earlier error,
	 * because the brackets are counted here in bytes, which do not map
	 * to the characters of libyaml's marks in UTF-16.
	 */
	if (!is_utf16(text, len) && error_before(ld, text, i) != 0)
		return -EINVAL;
	snprintf(ld->err, ld->err_len,
		 "%s:%zu:%zu: invalid YAML: collections nested deeper than %d levels",
		 ld->name, line, col, MAX_FLOW_DEPTH);
	return -EINVAL;
}
