// The cartoon-avatar renderer: options named as in the classic Avataaars generator, drawn with DiceBear.
export {
  CARTOON_CONTEXT,
  CARTOON_DEFAULTS,
  CARTOON_KEYS,
  CARTOON_OPTIONS,
  CartoonConfigError,
  parseCartoonConfig,
  type CartoonConfig,
  type CartoonKey,
} from './options.ts';
export { DEFAULT_CARTOON_SIZE, MAX_CARTOON_SIZE, renderCartoonSvg } from './render.ts';
