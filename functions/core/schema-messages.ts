import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod/mini ships without messages, so every issue would read "Invalid input".
 * Dead letters and CLI errors must say what was wrong ("Too small: expected
 * number to be >0"), so the English messages are loaded once, by every module
 * that validates input.
 */
z.config(en());
