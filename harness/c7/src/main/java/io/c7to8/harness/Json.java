package io.c7to8.harness;

import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.Map;

/** Minimal JSON writer for the run summary (maps, lists, strings, numbers, booleans, null, dates). */
final class Json {
  private Json() {}

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    sb.append('\n');
    return sb.toString();
  }

  private static void indent(StringBuilder sb, int level) {
    sb.append('\n');
    for (int i = 0; i < level; i++) {
      sb.append("  ");
    }
  }

  private static void write(StringBuilder sb, Object v, int level) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        indent(sb, level + 1);
        string(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), level + 1);
      }
      indent(sb, level);
      sb.append('}');
    } else if (v instanceof Collection<?> list) {
      if (list.isEmpty()) {
        sb.append("[]");
        return;
      }
      boolean scalars = list.stream().noneMatch(x -> x instanceof Map || x instanceof Collection);
      sb.append('[');
      boolean first = true;
      for (Object x : list) {
        if (!first) {
          sb.append(scalars ? ", " : ",");
        }
        first = false;
        if (!scalars) {
          indent(sb, level + 1);
        }
        write(sb, x, level + 1);
      }
      if (!scalars) {
        indent(sb, level);
      }
      sb.append(']');
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) {
      sb.append(v);
    } else if (v instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        sb.append("null");
      } else {
        sb.append(v);
      }
    } else if (v instanceof Date d) {
      string(sb, Instant.ofEpochMilli(d.getTime()).toString());
    } else {
      string(sb, v.toString());
    }
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
