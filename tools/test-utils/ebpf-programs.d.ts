/**
 * A program that counts its runs per 32-bit key read from its context: the first run of a key
 * inserts 1 into the hash map, later runs add 1 to the value atomically; it returns 0.
 * @param mapFd - the map (u32 key, u64 value).
 * @param keyOffset - byte offset of the key in the context.
 * @returns the assembly.
 */
export function countPerKeyAsm(mapFd: number, keyOffset: number): string;
